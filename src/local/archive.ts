// Small tar archives for putting files into a container before it starts (secrets, configs),
// with the owner and mode the file must have inside the container; and reading one file back out.
import { extract, pack } from 'tar-stream';

export interface ArchiveFile {
  readonly name: string;
  readonly content: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

export async function tarOf(files: readonly ArchiveFile[], dirs: readonly { name: string; mode: number; uid: number; gid: number }[] = []): Promise<Buffer> {
  const p = pack();
  for (const d of dirs) p.entry({ name: d.name, type: 'directory', mode: d.mode, uid: d.uid, gid: d.gid });
  for (const f of files) p.entry({ name: f.name, mode: f.mode ?? 0o644, uid: f.uid ?? 0, gid: f.gid ?? 0 }, f.content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The first file of a tar archive (what the engine's getArchive returns for one file's path). */
export async function firstFileOf(tar: NodeJS.ReadableStream): Promise<Buffer | undefined> {
  const ex = extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(c as Buffer));
      body.on('end', () => {
        if (found === undefined && header.type === 'file') found = Buffer.concat(chunks);
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  tar.pipe(ex);
  await done;
  return found;
}
