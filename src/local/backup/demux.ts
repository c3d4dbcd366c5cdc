// Docker's attach stream without a TTY is multiplexed: frames of an 8-byte header (stream type,
// 3 zero bytes, payload length big-endian) and the payload. This Transform passes stdout on as a
// stream, with backpressure (dockerode's demuxStream writes without waiting, so a dump faster
// than the disk would pile up in memory), and hands stderr to a callback.
import { Transform, type TransformCallback } from 'node:stream';

const STDOUT = 1;
const STDERR = 2;
const HEADER = 8;

export class DockerDemux extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private stderrTail = '';

  /** @param onStderr each stderr payload as text */
  constructor(private readonly onStderr: (text: string) => void = () => {}) {
    super();
  }

  /** The last 4000 characters written to stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= HEADER) {
      const type = buf[0];
      const size = buf.readUInt32BE(4);
      if (buf.length < HEADER + size) break;
      const payload = buf.subarray(HEADER, HEADER + size);
      buf = buf.subarray(HEADER + size);
      if (type === STDOUT) {
        this.push(payload);
      } else if (type === STDERR) {
        const text = payload.toString('utf8');
        this.stderrTail = (this.stderrTail + text).slice(-4000);
        this.onStderr(text);
      } else if (type !== 0) {
        cb(new Error(`not a multiplexed Docker stream (frame type ${type})`));
        return;
      }
    }
    this.pending = Buffer.from(buf);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    cb(this.pending.length ? new Error(`the container's output ended inside a frame (${this.pending.length} bytes left over)`) : null);
  }
}
