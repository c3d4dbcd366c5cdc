// A ClusterRuntime held in memory, for the drills' unit tests: members that can be killed,
// started and scaled, a load balancer that shows a stopped web node DOWN, and a log of the calls.
import { Readable } from 'node:stream';
import type {
  ClusterEvent,
  ClusterRuntime,
  ExecResult,
  LbServer,
  Member,
  MigrateOutcome,
  MigrateStatus,
  ScaleStep,
  ServiceName,
  UpOptions,
  UpResult,
} from '../../../src/runtime/cluster.ts';
import { readSpec, type LoadedSpec } from '../../../src/spec/read.ts';
import { tempDir } from '../../support/temp.ts';

export class MemoryRuntime implements ClusterRuntime {
  readonly loaded: LoadedSpec;
  readonly lbHealthCheck = { interS: 1, fastinterMs: 500, fall: 2, rise: 2, timeoutS: 1 };
  /** Member name → running. Web nodes are "mem-web-1", "mem-web-2", ... */
  readonly running = new Map<string, boolean>();
  /** Every call that changes the cluster, e.g. "kill mem-web-2", "scale 1". */
  readonly calls: string[] = [];
  /** When set, the next scale() removes or adds its first node, then throws this. */
  scaleFailsWith: Error | undefined;

  constructor(webNodes = 2) {
    this.loaded = readSpec({ cwd: tempDir('drill-mem-'), overrides: { name: 'mem' } });
    for (const s of ['lb', 'db', 'redis', 'cron'] as const) this.running.set(this.memberName(s), true);
    for (let i = 1; i <= webNodes; i++) this.running.set(this.memberName('web', i), true);
  }

  requireEngine = async () => {};
  memberName = (service: ServiceName, index?: number) => `mem-${service}${index === undefined ? '' : `-${index}`}`;
  private serviceOf = (name: string) => /^mem-([a-z]+)/.exec(name)![1] as ServiceName;
  private webIndex = (name: string) => Number(/-web-(\d+)$/.exec(name)?.[1] ?? 0);
  /** Every web member, running or not, in index order. */
  webMembers = () => [...this.running.keys()].filter((n) => this.serviceOf(n) === 'web').sort((a, b) => this.webIndex(a) - this.webIndex(b));

  async members(service?: ServiceName): Promise<Member[]> {
    return [...this.running]
      .map(([name, running]) => ({ name, service: this.serviceOf(name), running, state: running ? 'running' : 'exited', health: running ? 'healthy' : '-' }))
      .filter((m) => service === undefined || m.service === service)
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  async webNodes(): Promise<string[]> {
    return this.webMembers().filter((n) => this.running.get(n));
  }
  async lbServers(): Promise<LbServer[] | string> {
    if (!this.running.get(this.memberName('lb'))) return 'load balancer not running';
    return this.webMembers().map((server) => ({
      server,
      status: this.running.get(server) ? 'UP' : 'DOWN',
      currentSessions: 0,
      requestRate: 0,
      totalRequests: 0,
    }));
  }
  async scale(desired: number, onStep?: (s: ScaleStep) => void): Promise<ScaleStep[]> {
    this.calls.push(`scale ${desired}`);
    const steps: ScaleStep[] = [];
    for (;;) {
      const nodes = this.webMembers();
      if (nodes.length === desired) return steps;
      const adding = nodes.length < desired;
      const node = adding ? this.memberName('web', nodes.length + 1) : nodes.at(-1)!;
      if (adding) this.running.set(node, true);
      else this.running.delete(node);
      const step: ScaleStep = { node, action: adding ? 'added' : 'removed', ms: 100, detail: `${node} ${adding ? 'added' : 'drained and removed'}` };
      steps.push(step);
      onStep?.(step);
      const fail = this.scaleFailsWith;
      this.scaleFailsWith = undefined;
      if (fail) throw fail;
    }
  }
  async exec(member: string): Promise<ExecResult> {
    return { code: this.running.get(member) ? 0 : 1, output: '' };
  }
  async kill(member: string): Promise<void> {
    this.calls.push(`kill ${member}`);
    this.running.set(member, false);
  }
  async start(member: string): Promise<void> {
    this.calls.push(`start ${member}`);
    if (!this.running.has(member)) throw new Error(`no such member: ${member}`);
    this.running.set(member, true);
  }
  /** Paused members (pause/unpause). */
  readonly paused = new Set<string>();
  async pause(member: string): Promise<void> {
    this.calls.push(`pause ${member}`);
    this.paused.add(member);
  }
  async unpause(member: string): Promise<void> {
    this.calls.push(`unpause ${member}`);
    this.paused.delete(member);
  }
  async restart(member: string): Promise<void> {
    this.calls.push(`restart ${member}`);
    this.running.set(member, true);
  }
  async waitReady(member: string): Promise<void> {
    if (!this.running.get(member)) throw new Error(`${member} is not running`);
  }
  webCpuPercent = async () => undefined;
  runningCode = async () => ({ image: null, moodle: null });
  readonly mailUrl = 'http://127.0.0.1:8025';
  logEvent = async (_e: ClusterEvent) => {};
  recentEvents = async () => [];
  logs = async () => Readable.from([]);
  async up(_progress?: unknown, opts?: UpOptions): Promise<UpResult> {
    const edit = opts?.bundleAddition;
    this.calls.push(edit ? `up (${edit.file} + ${JSON.stringify(edit.text)})` : 'up');
    for (const name of this.running.keys()) this.running.set(name, true);
    return {
      webRoll: edit ? { replaced: this.webMembers(), ms: 1000 } : null,
      migrateReport: null,
      url: 'http://127.0.0.1',
      mailUrl: 'http://127.0.0.1',
      adminUser: 'admin',
      adminPasswordFile: '/dev/null',
      webNodes: this.webMembers().length,
      migrate: 'unchanged',
    };
  }
  async migrate(): Promise<MigrateOutcome> {
    this.calls.push('migrate');
    const at = new Date().toISOString();
    return { startedAt: at, finishedAt: at, result: 'unchanged', exitCode: 0, log: '', attached: false };
  }
  async migrateStatus(): Promise<MigrateStatus> {
    const v = { release: '4.5', version: '2024100700', codehash: 'mem' };
    return { database: v, code: v, install: null, pending: 'none', lockHeld: false, running: null, lastRun: null };
  }
  migrateLog = async () => undefined;
  async down(): Promise<{ containers: number; volumes: number }> {
    this.calls.push('down');
    for (const name of this.running.keys()) this.running.set(name, false);
    return { containers: this.running.size, volumes: 0 };
  }
}
