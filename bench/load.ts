// A small closed-loop HTTP load generator for the benchmark: N virtual users, each with its own
// cookie jar (so its own Moodle session: the first answer sets MoodleSession, later requests send
// it), over a keep-alive agent, for a fixed time and at most a bounded number of requests.
// Loopback targets only. Lean on purpose: it shares the machine's cores with what it measures.
//
//   node --import tsx bench/load.ts http://127.0.0.1:28080/login/index.php --host localhost:28080
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CookieJar } from '../src/ops/load/http.ts';

export interface LoadOptions {
  /** Target URL; its host must be a loopback address. */
  readonly url: string;
  /** Host header to send (the site's public host:port), when the URL's differs. */
  readonly host?: string;
  readonly vus: number;
  readonly durationMs: number;
  /** Upper bound on requests started in this run, whatever the duration. */
  readonly maxRequests: number;
  readonly timeoutMs?: number;
}

export interface LoadResult {
  readonly url: string;
  readonly vus: number;
  readonly seconds: number;
  /** Answers with status 200. */
  readonly ok: number;
  readonly errors: number;
  /** What went wrong, by kind ("HTTP 303", "ECONNRESET", ...). */
  readonly errorKinds: Record<string, number>;
  /** 200 answers per second of wall time. */
  readonly rps: number;
  /** Latency of 200 answers, milliseconds. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Distinct MoodleSession cookies held by the VUs at the end (one per VU expected). */
  readonly sessions: number;
  /** Times a VU was handed a MoodleSession it did not have before (VUs expected: no churn). */
  readonly sessionsIssued: number;
}

export function requireLoopback(url: string): URL {
  const u = new URL(url);
  const h = u.hostname;
  if (u.protocol !== 'http:' || !(h === 'localhost' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h))) {
    throw new Error(`load: refusing ${url}: only http:// on a loopback address (127.0.0.0/8, ::1, localhost) is allowed`);
  }
  return u;
}

/** The q-quantile (0..1) of an ascending array; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// Moodle's session cookie is MoodleSession followed by $CFG->sessioncookie (empty by default).
const isSessionCookie = (name: string) => name.startsWith('MoodleSession');

function once(u: URL, o: LoadOptions, agent: Agent, jar: CookieJar): Promise<{ status: number; newSession: boolean }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': 'moodle-ha-bench', 'accept-encoding': 'gzip', accept: 'text/html' };
    if (o.host) headers.host = o.host;
    const cookie = jar.header();
    if (cookie) headers.cookie = cookie;
    const req = request(u, { method: 'GET', agent, headers, timeout: o.timeoutMs ?? 60_000 }, (res) => {
      const newSession = jar.update(res.headers['set-cookie']).some(isSessionCookie);
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, newSession }));
      res.resume();
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end();
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const u = requireLoopback(o.url);
  if (!(o.vus >= 1 && o.durationMs > 0 && o.maxRequests >= 1)) throw new Error('load: vus, duration and maxRequests must be positive');
  const agent = new Agent({ keepAlive: true, maxSockets: o.vus, maxFreeSockets: o.vus, keepAliveMsecs: 10_000 });
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  const jars: CookieJar[] = [];
  let started = 0;
  let errors = 0;
  let sessionsIssued = 0;
  const t0 = performance.now();
  const end = t0 + o.durationMs;
  const vu = async () => {
    const jar = new CookieJar();
    jars.push(jar);
    while (performance.now() < end && started < o.maxRequests) {
      started++;
      const s = performance.now();
      try {
        const r = await once(u, o, agent, jar);
        if (r.newSession) sessionsIssued++;
        if (r.status === 200) latencies.push(performance.now() - s);
        else {
          errors++;
          errorKinds[`HTTP ${r.status}`] = (errorKinds[`HTTP ${r.status}`] ?? 0) + 1;
        }
      } catch (e) {
        errors++;
        const kind = (e as { code?: string }).code ?? (e as Error).message;
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: o.vus }, vu));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const sessions = new Set(jars.flatMap((j) => [...j.entries()].filter(([k]) => isSessionCookie(k)).map(([, v]) => v))).size;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    url: o.url,
    vus: o.vus,
    seconds: r2(seconds),
    ok: latencies.length,
    errors,
    errorKinds,
    rps: r2(latencies.length / seconds),
    p50: r2(quantile(latencies, 0.5)),
    p95: r2(quantile(latencies, 0.95)),
    p99: r2(quantile(latencies, 0.99)),
    sessions,
    sessionsIssued,
  };
}

// Run on its own: one measurement, printed as JSON.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      vus: { type: 'string', default: '16' },
      duration: { type: 'string', default: '20' },
      'max-requests': { type: 'string', default: '200000' },
    },
  });
  if (positionals.length !== 1) {
    process.stderr.write('usage: node --import tsx bench/load.ts URL [--host H:P] [--vus 16] [--duration 20] [--max-requests 200000]\n');
    process.exit(2);
  }
  try {
    const r = await runLoad({
      url: positionals[0]!,
      host: values.host,
      vus: Number(values.vus),
      durationMs: Number(values.duration) * 1000,
      maxRequests: Number(values['max-requests']),
    });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
