// Moodle's own per-page performance figures ($CFG->perfdebug: the footer's time, included files,
// DB reads and writes, and the cache stores' hits, misses and sets), read from a page's HTML.
// Both paths of the reference benchmark switch it on only for requests that carry the bench's
// cookie (PERF_TRIGGER in their config.php), so the measured load runs without it.
import { median } from '../load.ts';
export const PERF_COOKIE = 'MOODLEHA_BENCH_PERF';

/** The config.php lines (without `<?php`) that turn on perfdebug for requests with the cookie. */
export const PERF_TRIGGER = `// moodle-ha bench: Moodle's performance figures in the footer, only for the bench's own requests.
if (($_COOKIE['${PERF_COOKIE}'] ?? '') === '1') {
    $CFG->perfdebug = 15;
}
`;

export interface StoreUse {
  readonly store: string;
  /** The store's plugin class, e.g. cachestore_redis. */
  readonly kind: string;
  readonly hits: number;
  readonly misses: number;
  readonly sets: number;
}

export interface PerfInfo {
  readonly seconds: number;
  readonly includedFiles: number;
  readonly dbReads: number;
  readonly dbWrites: number;
  readonly stores: readonly StoreUse[];
}

const text = (html: string) =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .trim();

/** Moodle's name for a definition's static acceleration (in the PHP process, no store class). */
const STATIC = '** static accel. **';

/** The store totals table: the second `cachesused` table, rows of name, class, H, M, S, I/O. */
function storeTotals(html: string): StoreUse[] {
  const tables = [...html.matchAll(/<table[^>]*class="[^"]*\bcachesused\b[^"]*"[^>]*>([\s\S]*?)<\/table>/g)];
  const totals = tables[1]?.[1];
  if (!totals) return [];
  const out: StoreUse[] = [];
  for (const row of totals.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)) {
    const cells = [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => text(c[1]!));
    if (cells.length < 5) continue; // the header row has <th> cells
    const [store, kind, hits, misses, sets] = cells;
    if (kind === '' && store !== STATIC) continue; // the total row
    out.push({ store: store!, kind: kind || 'static', hits: Number(hits), misses: Number(misses), sets: Number(sets) });
  }
  return out;
}

/** The figures from a page's footer, or undefined when the page has none (perfdebug off, no footer). */
export function parsePerfInfo(html: string): PerfInfo | undefined {
  const time = /<li class="timeused[^"]*">([\d.]+) secs<\/li>/.exec(html);
  const included = /<li class="included[^"]*">Included (\d+) files<\/li>/.exec(html);
  const db = /<li class="dbqueries[^"]*">DB reads\/writes: (\d+)\/(\d+)<\/li>/.exec(html);
  if (!time || !included || !db) return undefined;
  return { seconds: Number(time[1]), includedFiles: Number(included[1]), dbReads: Number(db[1]), dbWrites: Number(db[2]), stores: storeTotals(html) };
}

/** Each figure's median over several fetches of one page; stores matched by name. */
export function medianPerf(samples: readonly PerfInfo[]): PerfInfo | undefined {
  if (!samples.length) return undefined;
  const names = [...new Set(samples.flatMap((s) => s.stores.map((x) => x.store)))].sort();
  return {
    seconds: median(samples.map((s) => s.seconds)),
    includedFiles: median(samples.map((s) => s.includedFiles)),
    dbReads: median(samples.map((s) => s.dbReads)),
    dbWrites: median(samples.map((s) => s.dbWrites)),
    stores: names.map((store) => {
      const of = samples.map((s) => s.stores.find((x) => x.store === store));
      const pick = (k: 'hits' | 'misses' | 'sets') => median(of.map((x) => x?.[k] ?? 0));
      return { store, kind: of.find((x) => x)!.kind, hits: pick('hits'), misses: pick('misses'), sets: pick('sets') };
    }),
  };
}
