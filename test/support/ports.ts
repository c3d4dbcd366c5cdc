// A loopback port for tests that start a server of their own (or need one nobody answers on).
import { createServer } from 'node:net';

/** A port on 127.0.0.1 that nobody listens on now (the OS's pick, released again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}
