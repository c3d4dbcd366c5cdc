// Image figures: the runtime image's uncompressed size (image inspect) and what `docker save |
// gzip` would weigh, streamed through zlib and counted, never written to disk.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { docker } from '../src/local/engine/docker.ts';

export interface ImageSize {
  readonly tag: string;
  readonly id: string;
  /** `Size` from image inspect: every layer, uncompressed. */
  readonly uncompressedBytes: number;
  /** Bytes of `docker save <tag> | gzip` (zlib default level 6, as gzip's default). */
  readonly savedGzipBytes: number;
  /** Bytes of the uncompressed `docker save` tar. */
  readonly savedTarBytes: number;
  readonly gzipSeconds: number;
}

export async function imageSize(tag: string): Promise<ImageSize> {
  const image = docker().getImage(tag);
  const info = await image.inspect();
  const t0 = performance.now();
  const tar = (await image.get()) as NodeJS.ReadableStream;
  let tarBytes = 0;
  let gzBytes = 0;
  tar.on('data', (b: Buffer) => (tarBytes += b.length));
  const gzip = createGzip();
  const count = new Writable({
    write(chunk: Buffer, _enc, cb) {
      gzBytes += chunk.length;
      cb();
    },
  });
  await pipeline(tar, gzip, count);
  return { tag, id: info.Id, uncompressedBytes: info.Size, savedGzipBytes: gzBytes, savedTarBytes: tarBytes, gzipSeconds: (performance.now() - t0) / 1000 };
}
