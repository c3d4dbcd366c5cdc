// The digest of a config bundle: what a task definition names, so a task refuses to start with other
// settings than its definition's (the image computes the same digest in bundle-digest.php; a test
// checks the two agree). SHA-256 over, for each regular file in byte order of its path relative to
// the bundle's root ("/" separated): the path, a NUL byte, the hex SHA-256 of the content, "\n".
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface BundleFile {
  /** Path relative to the bundle's root, "/" separated. */
  readonly path: string;
  readonly content: Buffer | string;
}

export function bundleDigest(files: readonly BundleFile[]): string {
  const h = createHash('sha256');
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  for (const f of sorted) h.update(`${f.path}\0${createHash('sha256').update(f.content).digest('hex')}\n`);
  return h.digest('hex');
}

/** Every regular file below `dir` (following links), as the digest and an upload see them. */
export function bundleFiles(dir: string): BundleFile[] {
  const out: BundleFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push({ path: relative(dir, p).split(sep).join('/'), content: readFileSync(p) });
    }
  };
  walk(dir);
  return out;
}

/** The digest of a bundle folder. */
export function folderDigest(dir: string): string {
  return bundleDigest(bundleFiles(dir));
}
