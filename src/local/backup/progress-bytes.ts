// Progress of a long byte stream: a counting pass-through, and a line every few seconds while
// the work runs ("database dump: 42.0 MB written").
import { Transform, type TransformCallback } from 'node:stream';
import type { Progress } from '../../util/progress.ts';

export class ByteCount extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

export function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** Runs `work`, printing `label: <n> MB[ of <total> (p%)]` every `everyMs` from `counter.bytes`. */
export async function byteCounter<T>(
  progress: Progress,
  label: string,
  counter: { readonly bytes: number },
  work: () => Promise<T>,
  total?: number,
  everyMs = 5000,
): Promise<T> {
  const timer = setInterval(() => {
    const of = total ? ` of ${mb(total)} (${Math.round((100 * counter.bytes) / total)}%)` : '';
    progress.info(`${label}: ${mb(counter.bytes)}${of}`);
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
