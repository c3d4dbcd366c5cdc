// Is a host port free? Checked before anything is created, so a port in use fails cleanly.
import { createServer } from 'node:net';

export function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}
