// Whether two folders hold the same files (names, symlink targets, contents), naming the first
// few differences. Sizes are compared before contents, so two different trees part quickly.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeDiffOptions {
  /** Paths (relative, with /) of `a` left out of the comparison. */
  readonly skipA?: (rel: string) => boolean;
  /** Paths of `b` left out. */
  readonly skipB?: (rel: string) => boolean;
  /** How many differences to name before stopping (default 5). */
  readonly limit?: number;
}

interface Entry {
  readonly size: number;
  readonly link?: string;
}

/** The first differences between folders a and b, as sentences; empty when they hold the same files. */
export function treeDifferences(a: string, b: string, o: TreeDiffOptions = {}): string[] {
  const limit = o.limit ?? 5;
  const left = entries(a, o.skipA);
  const right = entries(b, o.skipB);
  const found: string[] = [];
  const names = [...new Set([...left.keys(), ...right.keys()])].sort();
  for (const name of names) {
    if (found.length >= limit) break;
    const x = left.get(name);
    const y = right.get(name);
    if (!y) found.push(`${name}: only in ${a}`);
    else if (!x) found.push(`${name}: only in ${b}`);
    else if (x.link !== y.link) found.push(`${name}: a link to ${x.link ?? '(a file)'} against ${y.link ?? '(a file)'}`);
    else if (x.link === undefined && (x.size !== y.size || !readFileSync(join(a, name)).equals(readFileSync(join(b, name)))))
      found.push(`${name}: different contents`);
  }
  return found;
}

function entries(root: string, skip?: (rel: string) => boolean): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (rel: string) => {
    for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (skip?.(r)) continue;
      if (d.isDirectory()) walk(r);
      else if (d.isSymbolicLink()) out.set(r, { size: 0, link: readlinkSync(join(root, r)) });
      else if (d.isFile()) out.set(r, { size: lstatSync(join(root, r)).size });
    }
  };
  walk('');
  return out;
}
