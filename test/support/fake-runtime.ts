// An in-memory ClusterRuntime for unit tests of the code that runs against a cluster (the
// autoscaler's loop, the load fixtures, drills): web nodes that scale, a load balancer whose
// request counters grow at a rate the test sets, CPU the test sets, and a record of every call.
// Nothing is started; `exec` answers through a handler the test gives.
import { Readable } from 'node:stream';
import type { ClusterEvent, ClusterRuntime, ExecResult, LbServer, Member, ScaleStep, ServiceName } from '../../src/runtime/cluster.ts';
import type { LoadedSpec } from '../../src/spec/read.ts';
import { validateSpec } from '../../src/spec/read.ts';

export interface FakeRuntimeOptions {
  /** Raw spec fields (validated as moodle-ha.yaml would be). @default {} */
  readonly spec?: Record<string, unknown>;
  /** Web nodes running at the start. @default the spec's web.nodes */
  readonly webNodes?: number;
  /** The time the load balancer's counters grow with (the loop's clock in tests). @default Date.now */
  readonly now?: () => number;
  /** Answers `exec`. @default exit 0, no output */
  readonly exec?: (member: string, argv: readonly string[]) => ExecResult | Promise<ExecResult>;
}

export interface FakeRuntime extends ClusterRuntime {
  /** Requests per second the load balancer counts, spread over the UP nodes (change it any time). */
  requestRate: number;
  /** What webCpuPercent answers. */
  cpuPercent: number | undefined;
  /** When set, lbServers answers this instead of figures (e.g. "load balancer not running"). */
  lbProblem: string | undefined;
  /** Web nodes the load balancer does not count as UP. */
  readonly lbDown: Set<string>;
  /** Every call of scale, exec, kill, start, pause, unpause, restart, in order. */
  readonly calls: Array<{ readonly method: string; readonly args: readonly unknown[] }>;
  readonly events: ClusterEvent[];
}

export function fakeRuntime(opts: FakeRuntimeOptions = {}): FakeRuntime {
  const spec = validateSpec({ name: 'fake', ...opts.spec });
  const loaded: LoadedSpec = { spec, file: undefined, baseDir: '/nonexistent' };
  const now = opts.now ?? (() => Date.now());
  const name = (service: ServiceName, index?: number) =>
    service === 'web' ? `fake-web-${index ?? 1}` : `fake-${service}${index === undefined ? '' : `-${index}`}`;
  let nodes = Array.from({ length: opts.webNodes ?? spec.web.nodes }, (_, i) => name('web', i + 1));
  const totals = new Map<string, number>();
  let countedAt = now();
  const calls: FakeRuntime['calls'] = [];
  const events: ClusterEvent[] = [];

  const count = () => {
    const t = now();
    const up = nodes.filter((n) => !r.lbDown.has(n));
    for (const n of up) totals.set(n, (totals.get(n) ?? 0) + (r.requestRate * (t - countedAt)) / 1000 / up.length);
    countedAt = t;
  };

  const r: FakeRuntime = {
    loaded,
    mailUrl: 'http://127.0.0.1:8025/',
    requestRate: 0,
    cpuPercent: undefined,
    lbProblem: undefined,
    lbDown: new Set(),
    calls,
    events,
    lbHealthCheck: { interS: 1, fastinterMs: 500, fall: 2, rise: 2, timeoutS: 1 },
    requireEngine: async () => {},
    async members(service?: ServiceName): Promise<Member[]> {
      const all: Member[] = [
        { name: name('lb'), service: 'lb', running: true, state: 'running', health: '-' },
        ...nodes.map((n): Member => ({ name: n, service: 'web', running: true, state: 'running', health: r.lbDown.has(n) ? 'not ready: down' : 'ready' })),
      ];
      return all.filter((m) => service === undefined || m.service === service).sort((a, b) => a.name.localeCompare(b.name));
    },
    memberName: name,
    webNodes: async () => [...nodes],
    async lbServers(): Promise<LbServer[] | string> {
      if (r.lbProblem !== undefined) return r.lbProblem;
      count();
      return nodes.map((n) => ({
        server: n,
        status: r.lbDown.has(n) ? 'DOWN' : 'UP',
        currentSessions: 0,
        requestRate: 0,
        totalRequests: Math.floor(totals.get(n) ?? 0),
      }));
    },
    async scale(desired: number, onStep?: (s: ScaleStep) => void): Promise<ScaleStep[]> {
      calls.push({ method: 'scale', args: [desired] });
      count();
      const steps: ScaleStep[] = [];
      while (nodes.length < desired) {
        nodes = [...nodes, name('web', nodes.length + 1)];
        steps.push({ node: nodes.at(-1)!, action: 'added', ms: 0, detail: 'fake' });
      }
      while (nodes.length > desired) {
        steps.push({ node: nodes.at(-1)!, action: 'removed', ms: 0, detail: 'fake' });
        totals.delete(nodes.at(-1)!);
        nodes = nodes.slice(0, -1);
      }
      for (const s of steps) onStep?.(s);
      return steps;
    },
    async exec(member: string, argv: readonly string[]): Promise<ExecResult> {
      calls.push({ method: 'exec', args: [member, argv] });
      return opts.exec ? opts.exec(member, argv) : { code: 0, output: '' };
    },
    logs: async () => Readable.from([]),
    kill: async (member) => void calls.push({ method: 'kill', args: [member] }),
    start: async (member) => void calls.push({ method: 'start', args: [member] }),
    pause: async (member) => void calls.push({ method: 'pause', args: [member] }),
    unpause: async (member) => void calls.push({ method: 'unpause', args: [member] }),
    restart: async (member, graceS) => void calls.push({ method: 'restart', args: [member, graceS] }),
    waitReady: async () => {},
    webCpuPercent: async () => r.cpuPercent,
    runningCode: async () => ({ image: null, moodle: null }),
    logEvent: async (e) => void events.push(e),
    recentEvents: async (n = 5) => events.slice(-n),
    up: async () => ({
      url: spec.site.url,
      mailUrl: r.mailUrl,
      adminUser: spec.site.adminUser,
      adminPasswordFile: '/nonexistent',
      webNodes: nodes.length,
      migrate: 'unchanged',
      migrateReport: null,
      webRoll: null,
    }),
    down: async () => ({ containers: 0, volumes: 0 }),
    migrate: async () => {
      calls.push({ method: 'migrate', args: [] });
      const at = new Date(now()).toISOString();
      return { startedAt: at, finishedAt: at, result: 'unchanged', exitCode: 0, log: 'migrate[  0.0s]: MIGRATE-RESULT unchanged\n', attached: false };
    },
    migrateStatus: async () => {
      const v = { release: '4.5.3 (Build: 20250317)', version: '2024100703.00', codehash: 'fake' };
      return { database: v, code: v, install: null, pending: 'none', lockHeld: false, running: null, lastRun: null };
    },
    migrateLog: async () => undefined,
  };
  return r;
}

/** A clock for loops under test: pauses pass at once and move the time on. */
export function fakeClock(start = Date.parse('2026-03-05T12:00:00Z')): { now(): number; pause(ms: number, signal?: AbortSignal): Promise<void> } {
  let t = start;
  return {
    now: () => t,
    pause: async (ms) => {
      t += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
