// The cluster runtime: what operations (drills, the autoscaler's loop, load fixtures) and the
// target-neutral CLI commands need from a running cluster, whatever runs it. `src/local/`
// implements it with Docker; a Kubernetes target would be another folder implementing it
// (docs/ARCHITECTURE.md). Types here, and one formatter of them: no target is imported.
import type { Readable } from 'node:stream';
import type { MigrateReport } from '../contract/migrate-report.ts';
import type { LoadedSpec } from '../spec/read.ts';
import type { Progress } from '../util/progress.ts';

/** What a member of the cluster does. `db`, `redis`, `cache` and `sentinel` have several members in the ha profile. */
export type ServiceName = 'lb' | 'db' | 'redis' | 'cache' | 'sentinel' | 'endpoints' | 'web' | 'cron' | 'migrate' | 'autoscaler' | 'mail';

/** One member (a container locally, a pod or task elsewhere) as the runtime sees it now. */
export interface Member {
  /** Stable name, unique in the cluster, e.g. "moodle-web-2" or "moodle-db-1". */
  readonly name: string;
  readonly service: ServiceName;
  readonly running: boolean;
  /** The runtime's own word for its state, e.g. "running", "exited", "restarting". */
  readonly state: string;
  /** "healthy", "unhealthy", "starting", "ready", "not ready: …", or "-" without a check. */
  readonly health: string;
}

/** One web node as the load balancer sees it. */
export interface LbServer {
  readonly server: string;
  /** "UP", "DOWN", "MAINT", "NOLB", … (HAProxy's words). */
  readonly status: string;
  readonly currentSessions: number;
  readonly requestRate: number;
  readonly totalRequests: number;
}

/** How the load balancer checks a web node: what decides how fast a dead node leaves it. */
export interface LbHealthCheck {
  readonly interS: number;
  readonly fastinterMs: number;
  readonly fall: number;
  readonly rise: number;
  readonly timeoutS: number;
}

export interface ScaleStep {
  readonly node: string;
  readonly action: 'added' | 'removed';
  readonly ms: number;
  readonly detail: string;
}

export interface ExecResult {
  readonly code: number;
  readonly output: string;
}

/** A scaling event, kept by the runtime and shown by `status`, whoever scaled. */
export interface ScalingRecord {
  readonly at: string;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
  readonly by: 'autoscaler' | 'scale';
}

/** A member the healer brought back (or failed to), kept with the scaling events. */
/** What the healer did to a member (crashed: seen, not done: the restart policy restarted it). */
export type HealOutcome = 'started' | 'created' | 'replaced' | 'failed' | 'crashed';

export interface HealRecord {
  readonly at: string;
  readonly by: 'healer';
  readonly member: string;
  readonly action: HealOutcome;
  readonly reason: string;
  readonly seconds: number;
}

/** The cluster's event log: scaling and healing, in the order they happened. */
export type ClusterEvent = ScalingRecord | HealRecord;

/** One line for people, e.g. "2 → 3  (autoscaler) …" or "healer: started x-web-2 in 6.1 s: …". */
export function describeClusterEvent(e: ClusterEvent): string {
  if (e.by === 'healer' && e.action === 'crashed') return `healer: ${e.member} crashed: ${e.reason}`;
  if (e.by === 'healer') return `healer: ${e.action} ${e.member} in ${e.seconds.toFixed(1)} s: ${e.reason}`;
  return `${e.from} → ${e.to}  (${e.by}) ${e.reason}`;
}

export interface UpResult {
  readonly url: string;
  readonly mailUrl: string;
  readonly adminUser: string;
  /** Where the generated admin password is kept (a file readable only by its owner), never the password. */
  readonly adminPasswordFile: string;
  readonly webNodes: number;
  readonly migrate: string;
  /** What that migrate changed (Moodle from → to, plugins upgraded, installed, missing from disk); null when its image does not report it. */
  readonly migrateReport: MigrateReport | null;
  /** The web nodes this run replaced one at a time (their definition changed), or null when none was rolled. */
  readonly webRoll: WebRoll | null;
}

/** A rolling replacement of the web tier: each node replaced while the others (and one extra) serve. */
export interface WebRoll {
  /** The nodes replaced, in order (the extra node, started first and removed last, is not among them). */
  readonly replaced: readonly string[];
  readonly ms: number;
}

/** A file of the config bundle, as the image loads it. */
export type BundleFile = 'php.ini' | 'nginx.conf' | 'config.php';

export interface UpOptions {
  /**
   * Text appended to one file of the config bundle for this run only, as if the operator had edited
   * it (a copy is changed: the operator's folder is never written). The config-change drill's edit.
   * @default - the bundle as the spec's folder has it
   */
  readonly bundleAddition?: { readonly file: BundleFile; readonly text: string };
  /**
   * A plugin of the spec (listed with a source folder), one version newer for this run only, as if
   * the operator had raised its version.php (a copy is changed). `up` builds it and migrate upgrades
   * the database, which cannot go back: the upgrade drill's fault.
   * @default - the plugins as the spec lists them
   */
  readonly pluginBump?: { readonly component: string };
}

/** What code the cluster runs: its runtime image and the Moodle version that image's build recorded. */
export interface RunningCode {
  /** The image the web nodes (else cron) were created from: its tag and ID; null when none exists. */
  readonly image: { readonly tag: string; readonly id: string } | null;
  readonly moodle: { readonly release: string; readonly version: string; readonly source: string } | null;
}

/** One migrate run (install or upgrade under the database lock) as the runtime keeps it. */
export interface MigrateRunRecord {
  /** When the run started and ended (ISO 8601). */
  readonly startedAt: string;
  readonly finishedAt: string;
  /** "installed", "upgraded", "unchanged"; "failed" when it exited non-zero (killed too); "unknown" when its log has no result line. */
  readonly result: string;
  readonly exitCode: number;
}

/** A migrate run's end, as `up` and `migrate` report it. */
export interface MigrateOutcome extends MigrateRunRecord {
  /** Its whole log. */
  readonly log: string;
  /** Another command had started it: this one waited for its end instead of starting one. */
  readonly attached: boolean;
}

/** A Moodle version: as the database has it, or as the code of an image is. */
export interface MoodleVersion {
  readonly release: string;
  readonly version: string;
  /** moodle-ha's hash of every version.php version line (plugins included); null when the database has none yet. */
  readonly codehash: string | null;
}

/**
 * What the database holds of a Moodle install (the image's install-state.php decides: an install
 * is complete once Moodle sets rolesactive to 1; tables without it are an install that stopped).
 */
export interface InstallState {
  readonly state: 'empty' | 'complete' | 'interrupted';
  /** What the database holds, in words ("core version 2024100706 is stored but rolesactive is not 1: ..."). */
  readonly detail: string;
  /** What of anyone's data is there: accounts besides admin and guest, courses besides the site course, stored files. */
  readonly data: { readonly users: number; readonly courses: number; readonly files: number };
  /** The same, in words; [] when there is none (a reinstall deletes nobody's data). */
  readonly found: readonly string[];
  /** Moodle's upgraderunning flag is set: an install or upgrade runs, or stopped before it ended. */
  readonly upgradeRunning: boolean;
}

/** What migrate would do now, and what it did last. */
export interface MigrateStatus {
  /** What the database has; null when it is empty (nothing installed). */
  readonly database: MoodleVersion | null;
  /** What the cluster's runtime image's code is (the image the web nodes run, else the one `up` recorded). */
  readonly code: MoodleVersion;
  /** What the database holds of an install; null when the image predates install-state.php. */
  readonly install: InstallState | null;
  /**
   * What a migrate would do: install an empty database, upgrade, or nothing; "reinstall": an
   * install stopped half-way, which migrate refuses to build on (`migrate --reinstall` is the way out).
   */
  readonly pending: 'install' | 'upgrade' | 'none' | 'reinstall';
  /** A migrate holds the database lock right now. */
  readonly lockHeld: boolean;
  /** The migrate run under way, if any. */
  readonly running: { readonly startedAt: string } | null;
  /** The last run that ended, if any is kept, with what it changed (null: it failed, or its image did not report it). */
  readonly lastRun: (MigrateRunRecord & { readonly report: MigrateReport | null }) | null;
}

export interface ClusterRuntime {
  /** The spec this runtime was made for (its name is the cluster's). */
  readonly loaded: LoadedSpec;
  /** The mail catcher's page: every message the site sent (nothing is delivered further). */
  readonly mailUrl: string;
  /** Fails with a UserError saying what to start when the engine behind this runtime is not reachable. */
  requireEngine(): Promise<void>;

  /** Every member with its state and health, sorted by name; only those of `service` when given. */
  members(service?: ServiceName): Promise<Member[]>;
  /** The name member `index` of `service` has (or would have), e.g. ("db", 2). */
  memberName(service: ServiceName, index?: number): string;
  /** The running web nodes, in scale order (the last one is removed first). */
  webNodes(): Promise<string[]>;
  /** The image and Moodle version the cluster runs (also when it is stopped). */
  runningCode(): Promise<RunningCode>;
  /** The web nodes as the load balancer sees them, or why its figures cannot be read. */
  lbServers(): Promise<LbServer[] | string>;
  readonly lbHealthCheck: LbHealthCheck;

  /** Adds or drains and removes web nodes until `desired` run; one step per node. */
  scale(desired: number, onStep?: (s: ScaleStep) => void): Promise<ScaleStep[]>;
  /** Runs a command in a member and returns its exit code and combined output. */
  exec(member: string, argv: readonly string[]): Promise<ExecResult>;
  /**
   * A member's output (stdout and stderr as they came): its last `tail` lines, then, with `follow`,
   * what it writes next. The stream ends after the tail, or with `follow` when the member stops.
   */
  logs(member: string, opts: { readonly tail: number; readonly follow: boolean }): Promise<Readable>;
  /** SIGKILL: the member dies at once, as on a crash. */
  kill(member: string): Promise<void>;
  /** Starts a stopped member again; nothing when it runs. */
  start(member: string): Promise<void>;
  /** Freezes every process of a member (its connections stay open, nothing answers): a stall, not a crash. */
  pause(member: string): Promise<void>;
  /** Lets a paused member run on; nothing when it is not paused. */
  unpause(member: string): Promise<void>;
  /** Stops (grace `graceS` seconds) and starts a member. */
  restart(member: string, graceS: number): Promise<void>;
  /** Waits until a web node answers ready, or throws after `timeoutMs`. */
  waitReady(member: string, timeoutMs: number): Promise<void>;
  /** Mean CPU use of the running web nodes, percent of one node's allowance; undefined when none could be sampled. */
  webCpuPercent(): Promise<number | undefined>;

  /** Records a scaling or healing event where `status` shows it. */
  logEvent(e: ClusterEvent): Promise<void>;
  /** The last `count` scaling and healing events (default 5), oldest first. */
  recentEvents(count?: number): Promise<ClusterEvent[]>;

  /**
   * Runs migrate against the running cluster (install or upgrade under the database lock) and
   * reports its end; a migrate already running is waited for, never replaced. Its log is kept.
   * A failed run is reported (exitCode), not thrown; a cluster whose data tier is not running is a UserError.
   */
  migrate(progress: Progress, opts?: { readonly reinstall?: boolean }): Promise<MigrateOutcome>;
  /** What the database has against the code, whether an upgrade is pending, the lock, the last run. */
  migrateStatus(): Promise<MigrateStatus>;
  /** The last migrate run that ended, with its whole log; undefined when none is kept. */
  migrateLog(): Promise<(MigrateRunRecord & { readonly log: string }) | undefined>;

  /**
   * Creates or converges the cluster to its spec. Web nodes whose definition changed (image,
   * bundle, environment, resources) are replaced one at a time while the rest serve.
   */
  up(progress: Progress, opts?: UpOptions): Promise<UpResult>;
  /** Stops and removes the cluster; its data too when `volumes`. */
  down(opts: { volumes: boolean }, progress: Progress): Promise<{ containers: number; volumes: number }>;
}
