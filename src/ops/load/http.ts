// HTTP for the load generator: one keep-alive agent shared by all virtual users, a cookie jar per
// user (so each has its own Moodle session), and the time of every exchange. Plain node:http,
// asking for gzip as every browser does (the servers compress, and the load balancer and the
// engine's proxy carry what a browser would get) and reading the body decoded, a bounded timeout,
// and a shared request budget so a run can never send more than it was allowed to.
import { Agent, request } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface Target {
  /** The site's public URL (wwwroot), e.g. http://localhost:8080. */
  readonly baseUrl: string;
  /** Where to connect: a loopback address and the load balancer's port. */
  readonly connectHost: string;
  readonly connectPort: number;
  /** Host header sent with every request (wwwroot's host:port), so Moodle sees its own URL. */
  readonly hostHeader: string;
}

export interface Answer {
  readonly status: number;
  /** The Location header, made absolute against the site's URL; undefined when none. */
  readonly location: string | undefined;
  readonly contentType: string;
  /** The Retry-After header; undefined when none (Moodle's maintenance page sends one). */
  readonly retryAfter?: string;
  /** The body as text; empty when the caller asked to count bytes only. */
  readonly body: string;
  /** The body's length, decoded (a file's own size). */
  readonly bytes: number;
  readonly ms: number;
}

export class BudgetExhausted extends Error {
  constructor() {
    super('request budget exhausted');
    this.name = 'BudgetExhausted';
  }
}

/** The most requests a run may start, shared by all its users. */
export class RequestBudget {
  private used = 0;
  constructor(readonly max: number) {}
  take(): void {
    if (this.used >= this.max) throw new BudgetExhausted();
    this.used++;
  }
  get spent(): number {
    return this.used;
  }
  get exhausted(): boolean {
    return this.used >= this.max;
  }
}

export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, keepAliveMsecs: 10_000 });
}

/** A cookie jar: name → value; deleted and expired cookies are dropped. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Takes an answer's Set-Cookie headers; returns the names of the cookies it set to a new value. */
  update(setCookie: readonly string[] | undefined): string[] {
    const changed: string[] = [];
    for (const c of setCookie ?? []) {
      const semi = c.indexOf(';');
      const pair = semi < 0 ? c : c.slice(0, semi);
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || value === 'deleted' || /expires=Thu, 01[- ]Jan[- ]1970/i.test(c) || /max-age=0\b/i.test(c)) this.cookies.delete(name);
      else {
        if (this.cookies.get(name) !== value) changed.push(name);
        this.cookies.set(name, value);
      }
    }
    return changed;
  }

  header(): string | undefined {
    return this.cookies.size ? [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Every cookie held, as [name, value]. */
  entries(): IterableIterator<[string, string]> {
    return this.cookies.entries();
  }

  clear(): void {
    this.cookies.clear();
  }
}

export interface SendOptions {
  /** Form fields for a POST, sent as application/x-www-form-urlencoded. */
  readonly form?: ReadonlyArray<readonly [string, string]>;
  /** Count the body's bytes but do not keep it (file downloads); 'unless-html' keeps web pages. */
  readonly discardBody?: boolean | 'unless-html';
  readonly timeoutMs?: number;
}

/** One user agent: its own cookie jar over the shared agent and budget. */
export class HttpSession {
  readonly jar = new CookieJar();
  /** HTTP exchanges this session made (redirects included). */
  requests = 0;

  constructor(
    readonly target: Target,
    private readonly agent: Agent,
    private readonly budget: RequestBudget,
  ) {}

  get(pathOrUrl: string, opts: Omit<SendOptions, 'form'> = {}): Promise<Answer> {
    return this.send('GET', pathOrUrl, opts);
  }

  post(pathOrUrl: string, form: ReadonlyArray<readonly [string, string]>, opts: Omit<SendOptions, 'form'> = {}): Promise<Answer> {
    return this.send('POST', pathOrUrl, { ...opts, form });
  }

  /** Sends one request (no redirect is followed); throws on network errors and timeouts. */
  send(method: 'GET' | 'POST', pathOrUrl: string, opts: SendOptions = {}): Promise<Answer> {
    this.budget.take();
    this.requests++;
    const url = this.resolve(pathOrUrl);
    const path = `${url.pathname}${url.search}`;
    const body = opts.form ? new URLSearchParams(opts.form.map(([k, v]) => [k, v])).toString() : undefined;
    const headers: Record<string, string> = {
      host: this.target.hostHeader,
      'user-agent': 'moodle-ha-load/1',
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
      'accept-encoding': 'gzip',
    };
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
      headers.origin = this.target.baseUrl.replace(/\/+$/, '');
      headers.referer = url.href;
    }
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const t0 = performance.now();
    return new Promise<Answer>((resolve, reject) => {
      const req = request(
        { host: this.target.connectHost, port: this.target.connectPort, method, path, headers, agent: this.agent, timeout: timeoutMs },
        (res) => {
          this.jar.update(res.headers['set-cookie']);
          const contentType = String(res.headers['content-type'] ?? '');
          const keep = opts.discardBody === 'unless-html' ? /text\/html/i.test(contentType) : !opts.discardBody;
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('error', reject);
          const body: Readable = /^gzip$/i.test(String(res.headers['content-encoding'] ?? '')) ? res.pipe(createGunzip()) : res;
          body.on('data', (c: Buffer) => {
            bytes += c.length;
            if (keep) chunks.push(c);
          });
          body.on('error', (e) => reject(Object.assign(new Error(`${method} ${path}: the gzip body does not decode: ${e.message}`), { code: 'BAD_BODY' })));
          body.on('end', () => {
            const loc = res.headers.location;
            resolve({
              status: res.statusCode ?? 0,
              location: loc ? this.resolve(loc).href : undefined,
              contentType,
              retryAfter: res.headers['retry-after'],
              body: keep ? Buffer.concat(chunks).toString('utf8') : '',
              bytes,
              ms: performance.now() - t0,
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** A path, or an absolute URL on the site, as a URL on the site; other hosts are refused. */
  resolve(pathOrUrl: string): URL {
    const base = new URL(this.target.baseUrl);
    // Paths are relative to wwwroot, which may itself have a path (http://host/moodle).
    const url =
      pathOrUrl.startsWith('/') && !pathOrUrl.startsWith('//') ? new URL(`${this.target.baseUrl.replace(/\/+$/, '')}${pathOrUrl}`) : new URL(pathOrUrl, base);
    if (url.host !== base.host) throw new Error(`refusing to follow ${url.href}: not on ${base.host}`);
    return url;
  }
}
