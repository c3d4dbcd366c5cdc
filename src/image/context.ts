// The runtime image's build context, assembled without copying: the image folder at the top, the
// Moodle tree under moodle/, and each manifest plugin under moodle/<type dir>/<name>/. Streamed
// to the engine as a tar; its key (a hash of what went in) names the image, so an unchanged
// context is never rebuilt.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';

export interface ContextLayer {
  /** Folder on disk. */
  readonly from: string;
  /** Where its content goes in the context ("" for the top). */
  readonly to: string;
  /** Paths (relative to `from`) left out. */
  readonly exclude?: (rel: string) => boolean;
  /** When false, the layer's key uses file sizes and times instead of contents (big, stable trees). */
  readonly hashContents?: boolean;
  /** Read-only modes in the image: files 0644 (0755 when executable), whatever they are on disk. */
  readonly readOnly?: boolean;
}

interface Entry {
  readonly abs: string;
  readonly name: string;
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly link?: string;
}

export function listEntries(layers: readonly ContextLayer[]): Entry[] {
  const byName = new Map<string, Entry>();
  for (const layer of layers) {
    for (const rel of walk(layer.from)) {
      if (layer.exclude?.(rel)) continue;
      const abs = join(layer.from, rel);
      const st = lstatSync(abs);
      const name = [layer.to, rel.split(sep).join('/')].filter(Boolean).join('/');
      const link = st.isSymbolicLink() ? readlinkSync(abs) : undefined;
      const mode = layer.readOnly ? (st.mode & 0o100 ? 0o755 : 0o644) : st.mode & 0o777;
      byName.set(name, { abs, name, mode, size: st.size, mtimeMs: st.mtimeMs, link });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** A hash over everything that decides the image: names, modes, and contents (or sizes+times). */
export function contextKey(layers: readonly ContextLayer[], extra: string): string {
  const h = createHash('sha256').update(extra);
  for (const layer of layers) {
    for (const e of listEntries([layer])) {
      h.update(`${e.name}\0${e.mode}\0${e.link ?? ''}\0`);
      if (e.link !== undefined) continue;
      if (layer.hashContents === false) h.update(`${e.size}:${Math.floor(e.mtimeMs)}\0`);
      else h.update(readFileSync(e.abs));
    }
  }
  return h.digest('hex');
}

export function contextStream(layers: readonly ContextLayer[], emptyDirs: readonly string[] = []): Readable {
  const p = pack();
  const entries = listEntries(layers);
  for (const d of emptyDirs) p.entry({ name: d, type: 'directory', mode: 0o755 });
  (async () => {
    for (const e of entries) {
      if (e.link !== undefined) {
        p.entry({ name: e.name, type: 'symlink', linkname: e.link, mode: e.mode });
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const sink = p.entry({ name: e.name, size: e.size, mode: e.mode, mtime: new Date(Math.floor(e.mtimeMs)) }, (err) => (err ? reject(err) : resolve()));
        sink.on('error', reject);
        createReadStream(e.abs).on('error', reject).pipe(sink);
      });
    }
    p.finalize();
  })().catch((err) => p.destroy(err as Error));
  return p as unknown as Readable;
}

function* walk(root: string, rel = ''): Generator<string> {
  for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
    const r = rel ? join(rel, d.name) : d.name;
    if (d.isDirectory()) yield* walk(root, r);
    else if (d.isFile() || d.isSymbolicLink()) yield r;
  }
}
