// A tiny stand-in for Moodle on 127.0.0.1, enough for the journey: the logintoken login with its
// testsession redirect, logged-in pages (with the logout link), the forum reply form saved from a
// real Moodle 4.5 page, replies that show up in their discussion, and a file. Knobs let a test
// lose sessions or break a page.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const FIXTURES = join(import.meta.dirname, 'fixtures');
export const fixtureHtml = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

export interface FakeSite {
  readonly base: string;
  readonly port: number;
  readonly posts: Map<number, { discussion: number; message: string }>;
  /** Requests, by path; answers with a body (not redirects), and those sent compressed (when the client asked, as nginx would). */
  readonly requests: { count: number; byPath: Map<string, number>; bodies: number; gzipped: number };
  /** Forget every session (as if the session store were wiped). */
  dropSessions(): void;
  /** Answer this path prefix with this status (a broken page), or undefined to heal it. */
  breakPath(prefix: string, status: number | undefined): void;
  /** Answer every page with Moodle's maintenance page (503, Retry-After, the text of climaintenance.html) while on. */
  maintenance(on: boolean): void;
  close(): Promise<void>;
}

export const FILE_BYTES = 4096;

export async function startFakeSite(password = 'pw'): Promise<FakeSite> {
  const login = fixtureHtml('login.html');
  const dashboard = fixtureHtml('dashboard.html');
  const replyForm = fixtureHtml('reply-form.html');
  const sessions = new Map<string, string | null>(); // sid → username (null: not logged in yet)
  const posts = new Map<number, { discussion: number; message: string }>();
  const broken = new Map<string, number>();
  let maintenance = false;
  const requests = { count: 0, byPath: new Map<string, number>(), bodies: 0, gzipped: 0 };
  let nextPost = 1000;
  let nextSid = 1;
  let base = '';

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    requests.count++;
    requests.byPath.set(url.pathname, (requests.byPath.get(url.pathname) ?? 0) + 1);
    let body = '';
    for await (const c of req) body += c;
    const form = new URLSearchParams(body);
    let sid = /MoodleSession=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!sid || !sessions.has(sid)) {
      sid = `s${nextSid++}`;
      sessions.set(sid, null);
      res.setHeader('set-cookie', `MoodleSession=${sid}; path=/; HttpOnly`);
    }
    const user = sessions.get(sid);
    const send = (status: number, html: string, type = 'text/html; charset=utf-8') => {
      requests.bodies++;
      if (!/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        res.writeHead(status, { 'content-type': type });
        return res.end(html);
      }
      requests.gzipped++;
      res.writeHead(status, { 'content-type': type, 'content-encoding': 'gzip' });
      res.end(gzipSync(html));
    };
    const redirect = (to: string) => {
      res.writeHead(303, { location: new URL(to, base).href });
      res.end();
    };
    if (maintenance) {
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '30' });
      return res.end('<!DOCTYPE html><html><body><div>This site is undergoing maintenance and is currently unavailable</div></body></html>');
    }
    for (const [prefix, status] of broken) if (url.pathname.startsWith(prefix)) return send(status, '<html><body>broken</body></html>');
    if (url.pathname === '/login/index.php') {
      if (req.method === 'POST') {
        if (form.get('logintoken') !== /name="logintoken" value="([^"]+)"/.exec(login)![1]) return send(200, login);
        if (form.get('password') !== password)
          return send(200, login.replace('</form>', '<div class="alert alert-danger" id="loginerrormessage">Invalid login, please try again</div></form>'));
        sessions.set(sid, form.get('username'));
        return redirect(`/login/index.php?testsession=7`);
      }
      if (url.searchParams.has('testsession')) return redirect('/my/');
      return send(200, login);
    }
    if (!user) return redirect('/login/index.php');
    if (url.pathname === '/my/' || url.pathname === '/course/view.php') return send(200, dashboard);
    if (url.pathname === '/mod/forum/discuss.php') {
      const d = Number(url.searchParams.get('d'));
      const shown = [...posts.values()]
        .filter((p) => p.discussion === d)
        .map((p) => `<div class="post">${p.message}</div>`)
        .join('\n');
      return send(200, dashboard.replace('<h1>Dashboard</h1>', `<h1>Discussion ${d}</h1>\n${shown}`));
    }
    if (url.pathname === '/mod/forum/post.php' && req.method === 'GET') return send(200, replyForm);
    if (url.pathname === '/mod/forum/post.php' && req.method === 'POST') {
      const sesskey = /"sesskey":"([^"]+)"/.exec(replyForm)![1];
      if (form.get('sesskey') !== sesskey || form.get('_qf__mod_forum_post_form') !== '1' || !form.get('submitbutton')) return send(200, replyForm);
      const id = nextPost++;
      const discussion = Number(form.get('discussion'));
      posts.set(id, { discussion, message: form.get('message[text]') ?? '' });
      return redirect(`/mod/forum/discuss.php?d=${discussion}#p${id}`);
    }
    if (url.pathname.startsWith('/pluginfile.php/')) return send(200, 'x'.repeat(FILE_BYTES), 'application/octet-stream');
    return send(404, '<html><body>not found</body></html>');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  base = `http://localhost:${port}`;
  return {
    base,
    port,
    posts,
    requests,
    dropSessions: () => sessions.clear(),
    maintenance: (on) => {
      maintenance = on;
    },
    breakPath: (prefix, status) => (status === undefined ? broken.delete(prefix) : broken.set(prefix, status)),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
