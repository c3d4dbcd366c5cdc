// A Redis or Sentinel stand-in for tests of the images' scripts that speak RESP themselves: it
// parses each command (an array of bulk strings, as clients send them) and answers what the test's
// handler returns, encoded as RESP.
import { createServer, type Server } from 'node:net';

/** A RESP reply: a simple string ({ ok }), an error ({ error }), a bulk string, an integer, an array, or nil (null). */
export type Resp = { readonly ok: string } | { readonly error: string } | string | number | readonly Resp[] | null;

export function encode(r: Resp): string {
  if (r === null) return '$-1\r\n';
  if (typeof r === 'number') return `:${r}\r\n`;
  if (typeof r === 'string') return `$${Buffer.byteLength(r)}\r\n${r}\r\n`;
  if (Array.isArray(r)) return `*${r.length}\r\n${r.map(encode).join('')}`;
  if ('ok' in (r as object)) return `+${(r as { ok: string }).ok}\r\n`;
  return `-${(r as { error: string }).error}\r\n`;
}

/** The commands complete in `buf` (arrays of bulk strings), and the bytes left over. */
export function parseCommands(buf: string): { commands: string[][]; rest: string } {
  const commands: string[][] = [];
  let at = 0;
  for (;;) {
    const head = /^\*(\d+)\r\n/.exec(buf.slice(at));
    if (!head) break;
    let p = at + head[0].length;
    const args: string[] = [];
    for (let i = 0; i < Number(head[1]); i++) {
      const len = /^\$(\d+)\r\n/.exec(buf.slice(p));
      if (!len || buf.length < p + len[0].length + Number(len[1]) + 2) return { commands, rest: buf.slice(at) };
      p += len[0].length;
      args.push(buf.slice(p, p + Number(len[1])));
      p += Number(len[1]) + 2;
    }
    if (args.length < Number(head[1])) break;
    commands.push(args);
    at = p;
  }
  return { commands, rest: buf.slice(at) };
}

/**
 * A server on 127.0.0.1 answering each command with handler(args), or not at all when it returns
 * undefined (a server that accepts and hangs); close it when done.
 */
export async function fakeResp(handler: (args: string[]) => Resp | undefined): Promise<{ server: Server; port: number }> {
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      const { commands, rest } = parseCommands(buf + d);
      buf = rest;
      for (const c of commands) {
        const r = handler(c);
        if (r !== undefined) sock.write(encode(r), 'latin1');
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}
