// Sizes and SHA-256 of a backup's parts: measured while a part is written (a pass-through tap),
// and checked against the manifest before a restore changes anything.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../../util/errors.ts';
import { BACKUP_PARTS, type BackupManifest, type BackupPart, type PartInfo } from './format.ts';

/** Passes bytes through, counting them and hashing them with SHA-256. */
export class DigestTap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  /** The part's entry in the manifest; call once, after the stream finished. */
  info(file: string): PartInfo {
    return { file, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string, onBytes: (n: number) => void = () => {}): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      hash.update(chunk);
      onBytes(chunk.length);
    }
  });
  return hash.digest('hex');
}

/**
 * Checks every part of the backup in `dir` against its manifest: present, the same size, the
 * same SHA-256. A UserError names the part and what differs; nothing has been changed then.
 */
export async function verifyParts(dir: string, manifest: BackupManifest, onBytes: (n: number) => void = () => {}): Promise<void> {
  for (const name of Object.keys(BACKUP_PARTS) as BackupPart[]) {
    const want = manifest.parts[name];
    const path = join(dir, want.file);
    const damaged = (why: string) =>
      new UserError(
        `backup part ${want.file} in ${dir} ${why}: the backup is damaged or incomplete, so it was refused. Nothing was changed. Use another backup (or an intact copy of this one).`,
      );
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw damaged('is missing');
    }
    if (size !== want.bytes) throw damaged(`has ${size} bytes, the manifest says ${want.bytes}`);
    const got = await sha256File(path, onBytes);
    if (got !== want.sha256) throw damaged(`does not match its checksum (SHA-256 ${got}, the manifest says ${want.sha256})`);
  }
}
