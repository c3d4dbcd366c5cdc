// What `status --json` prints: which cluster, where it answers, which profile, Moodle version and
// runtime image it runs, besides each member's state, the load balancer's view, the autoscaler
// and the recent scaling events. Pure: the command gathers the parts from the runtime.
import type { AutoscalerActivity } from '../local/autoscaler-guard.ts';
import type { ClusterEvent, LbServer, Member, RunningCode } from '../runtime/cluster.ts';
import type { RedisUsage } from '../runtime/redis-usage.ts';
import type { DatabaseVerdict } from './database-verdict.ts';
import type { Spec } from '../spec/schema.ts';

export interface StatusReport {
  readonly cluster: string;
  readonly url: string;
  /** What runs (an endpoints member means ha); the spec's when nothing runs. */
  readonly profile: string;
  readonly moodle: RunningCode['moodle'];
  readonly image: RunningCode['image'];
  readonly mailUrl: string;
  /** What the database holds of the install (complete, under way, stopped half-way); null when no database runs. */
  readonly database: DatabaseVerdict | null;
  readonly services: readonly Member[];
  readonly lb: readonly LbServer[] | string;
  /** How full each running Redis member is; the sessions' primary also counts and sizes the sessions. */
  readonly redis: readonly RedisUsage[];
  readonly autoscaler: AutoscalerActivity;
  readonly events: readonly ClusterEvent[];
}

export interface StatusParts {
  readonly services: readonly Member[];
  readonly lb: readonly LbServer[] | string;
  readonly code: RunningCode;
  readonly mailUrl: string;
  readonly autoscaler: AutoscalerActivity;
  readonly events: readonly ClusterEvent[];
  /** @default null - no database runs */
  readonly database?: DatabaseVerdict | null;
  /** @default [] - no Redis member runs */
  readonly redis?: readonly RedisUsage[];
}

/** The JSON of `status --json`. */
export function statusReport(spec: Spec, p: StatusParts): StatusReport {
  return {
    cluster: spec.name,
    url: spec.site.url,
    profile: runningProfile(p.services) ?? spec.profile,
    moodle: p.code.moodle,
    image: p.code.image,
    mailUrl: p.mailUrl,
    database: p.database ?? null,
    services: p.services,
    lb: p.lb,
    redis: p.redis ?? [],
    autoscaler: p.autoscaler,
    events: p.events,
  };
}

/** The profile the members show (ha has an endpoints member), or undefined when there is no data tier. */
export function runningProfile(services: readonly Pick<Member, 'service'>[]): 'dev' | 'ha' | undefined {
  if (services.some((s) => s.service === 'endpoints')) return 'ha';
  return services.some((s) => s.service === 'db') ? 'dev' : undefined;
}
