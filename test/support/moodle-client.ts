// A Moodle user agent for tests: its own cookie jar (its own session), the logintoken login flow,
// and sesskey extraction. Talks to the cluster through the load balancer only.
import { request, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CookieJar } from '../../src/ops/load/http.ts';

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly location?: string;
  readonly headers: IncomingHttpHeaders /** The body as received (binary files). */;
  readonly bytes: Buffer;
}

export interface ClientOptions {
  /** Where to connect instead of the base URL's host (e.g. 127.0.0.1 and a published port); the Host header and TLS name stay the base URL's. */
  readonly connectTo?: { readonly host: string; readonly port: number };
  /** CA certificates (PEM) trusted for an https base URL. */
  readonly ca?: string;
  /** Headers sent with every request. */
  readonly headers?: Record<string, string>;
}

export class MoodleClient {
  private readonly jar = new CookieJar();
  constructor(
    readonly baseUrl: string,
    private readonly options: ClientOptions = {},
  ) {}

  get session(): string | undefined {
    return this.jar.get('MoodleSession');
  }

  async get(path: string): Promise<Reply> {
    return this.send('GET', path);
  }

  async post(path: string, form: Record<string, string>): Promise<Reply> {
    return this.send('POST', path, new URLSearchParams(form).toString(), 'application/x-www-form-urlencoded');
  }

  async postMultipart(path: string, fields: Record<string, string>, file: { field: string; name: string; content: Buffer }): Promise<Reply> {
    const boundary = `----moodleha${Date.now()}`;
    const parts: Buffer[] = [];
    for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\nContent-Type: text/plain\r\n\r\n`),
      file.content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    );
    return this.send('POST', path, Buffer.concat(parts), `multipart/form-data; boundary=${boundary}`);
  }

  /** Logs in with the logintoken flow; returns the dashboard page. */
  async login(username: string, password: string): Promise<string> {
    const form = await this.get('/login/index.php');
    const token = /name="logintoken" value="([^"]+)"/.exec(form.body)?.[1];
    if (!token) throw new Error(`no logintoken on the login page (HTTP ${form.status})`);
    let r = await this.post('/login/index.php', { username, password, logintoken: token, anchor: '' });
    for (let i = 0; i < 5 && r.location; i++) r = await this.get(r.location.replace(this.baseUrl, ''));
    return r.body;
  }

  static sesskey(page: string): string | undefined {
    return /"sesskey":"([^"]+)"/.exec(page)?.[1];
  }

  static loggedIn(page: string): boolean {
    return /login\/logout\.php\?sesskey=/.test(page);
  }

  /** A page's visible text on one line (no scripts, styles or tags): what a failed answer said, for a test's message. */
  static pageText(page: string): string {
    return page
      .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ');
  }

  private send(method: string, path: string, body?: string | Buffer, type?: string): Promise<Reply> {
    const url = new URL(path, this.baseUrl);
    const o = this.options;
    const send = url.protocol === 'https:' ? httpsRequest : request;
    const target = o.connectTo
      ? { host: o.connectTo.host, port: o.connectTo.port, path: `${url.pathname}${url.search}`, servername: url.hostname }
      : { host: url.hostname, port: url.port || undefined, path: `${url.pathname}${url.search}` };
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'user-agent': 'moodle-ha-test', host: url.host, ...o.headers };
      const cookie = this.jar.header();
      if (cookie) headers.cookie = cookie;
      if (body !== undefined) {
        headers['content-type'] = type!;
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const req = send({ ...target, method, headers, timeout: 60_000, ...(o.ca ? { ca: o.ca } : {}) }, (res) => {
        this.jar.update(res.headers['set-cookie']);
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, body: bytes.toString(), location: res.headers.location, headers: res.headers, bytes });
        });
        // An answer cut off mid-body (its connection reset) ends with neither 'end' nor an error.
        res.on('close', () => {
          if (!res.complete) reject(new Error(`${method} ${path}: the answer (${res.statusCode}) was cut off after ${Buffer.concat(chunks).length} bytes`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}
