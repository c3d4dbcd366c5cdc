// What the site holds, counted by a PHP query in a web container: users, courses, forum posts and
// files (rows, and each file's content in moodledata's filedir). The load keeps adding posts, so
// a snapshot remembers each table's highest id and the "after" count covers the same id range:
// anything in that range that is gone afterwards was lost.
import type { ClusterRuntime } from '../../runtime/cluster.ts';
import { moodlePhp, webNode } from '../load/fixture.ts';

export const INVENTORY_TABLES = { users: 'user', courses: 'course', posts: 'forum_posts', files: 'files' } as const;
export type InventoryKey = keyof typeof INVENTORY_TABLES;

export interface Inventory {
  /** Rows with id <= maxId (users and posts not deleted, files not directories). */
  readonly counts: Readonly<Record<InventoryKey, number>>;
  readonly maxIds: Readonly<Record<InventoryKey, number>>;
  /** Distinct file contents (by content hash) in the id range, and how many are not on disk. */
  readonly fileContents: number;
  readonly fileContentsMissing: number;
}

export interface InventoryComparison {
  readonly before: Inventory;
  readonly after: Inventory;
  /** before - after, per kind, never below 0. fileContents: contents missing on disk afterwards that were there before. */
  readonly lost: Readonly<Record<InventoryKey | 'fileContents', number>>;
}

const INVENTORY_PHP = `
$where = ['user' => 'deleted = 0', 'course' => '1 = 1', 'forum_posts' => 'deleted = 0', 'files' => "filename <> '.'"];
$counts = []; $maxIds = [];
foreach ($in['tables'] as $key => $table) {
  $max = isset($in['maxIds'][$key]) ? (int)$in['maxIds'][$key] : (int)$DB->get_field_sql("SELECT COALESCE(MAX(id), 0) FROM {" . $table . "}");
  $maxIds[$key] = $max;
  $counts[$key] = $DB->count_records_select($table, $where[$table] . ' AND id <= ?', [$max]);
}
$contents = 0; $missing = 0;
$rs = $DB->get_recordset_sql("SELECT DISTINCT contenthash FROM {files} WHERE filename <> '.' AND id <= ?", [$maxIds['files']]);
foreach ($rs as $r) {
  $h = $r->contenthash; $contents++;
  if (!is_readable($CFG->dataroot . '/filedir/' . substr($h, 0, 2) . '/' . substr($h, 2, 2) . '/' . $h)) $missing++;
}
$rs->close();
echo '@@JSON@@', json_encode(['counts' => $counts, 'maxIds' => $maxIds, 'fileContents' => $contents, 'fileContentsMissing' => $missing]), '@@END@@';
`;

/** Counts the site's users, courses, posts and files; with `sameRangeAs`, over that snapshot's id range. */
export async function takeInventory(runtime: ClusterRuntime, sameRangeAs?: Inventory): Promise<Inventory> {
  return moodlePhp<Inventory>(runtime, await webNode(runtime), INVENTORY_PHP, { tables: INVENTORY_TABLES, maxIds: sameRangeAs?.maxIds ?? null });
}

export function compareInventories(before: Inventory, after: Inventory): InventoryComparison {
  const lost = (k: InventoryKey) => Math.max(0, before.counts[k] - after.counts[k]);
  return {
    before,
    after,
    lost: {
      users: lost('users'),
      courses: lost('courses'),
      posts: lost('posts'),
      files: lost('files'),
      fileContents: Math.max(0, after.fileContentsMissing - before.fileContentsMissing) + Math.max(0, before.fileContents - after.fileContents),
    },
  };
}
