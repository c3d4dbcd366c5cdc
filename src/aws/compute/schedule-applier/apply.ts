// The schedule applier: which window is in force now (src/spec/windows.ts, the evaluation the local
// autoscaler uses too), then the values it sets, applied idempotently:
//   web tasks      Application Auto Scaling RegisterScalableTarget, every run: on an existing
//                  target it also brings the service's desired count inside the new min/max
//   EC2 floor      Auto Scaling UpdateAutoScalingGroup MinSize (a no-op when equal)
//   Aurora ACUs    RDS ModifyDBCluster ServerlessV2ScalingConfiguration, only when it differs
//   WAF limit      WAFV2 GetWebACL, then UpdateWebACL with the LockToken, only when it differs;
//                  UpdateWebACL replaces the whole ACL, so everything else is sent back as read
// Every part is tried even when another fails; the run fails afterwards, naming each failure.
// Clients are injected (tests pass fakes); ./index.ts wires the AWS SDK v3 of the Lambda runtime.
import { activeWindow } from '../../../spec/windows.ts';
import type { AppliedResources, AppliedSchedule, CapacityRange, CapacityTargets } from './config.ts';

type Json = Record<string, unknown>;

export interface WafRule extends Json {
  readonly Name: string;
  readonly Statement?: Json & { readonly RateBasedStatement?: Json & { readonly Limit?: number } };
}

export interface WebAclDescription extends Json {
  readonly Name?: string;
  readonly Id?: string;
  readonly Rules?: readonly WafRule[];
}

/** The calls the applier makes, shaped like the AWS SDK v3 clients' commands. */
export interface ApplierClients {
  readonly applicationAutoScaling: {
    registerScalableTarget(input: {
      ServiceNamespace: 'ecs';
      ResourceId: string;
      ScalableDimension: 'ecs:service:DesiredCount';
      MinCapacity: number;
      MaxCapacity: number;
    }): Promise<unknown>;
  };
  readonly autoScaling: {
    updateAutoScalingGroup(input: { AutoScalingGroupName: string; MinSize: number }): Promise<unknown>;
  };
  readonly rds: {
    describeDBClusters(input: {
      DBClusterIdentifier: string;
    }): Promise<{ DBClusters?: { ServerlessV2ScalingConfiguration?: { MinCapacity?: number; MaxCapacity?: number } }[] }>;
    modifyDBCluster(input: {
      DBClusterIdentifier: string;
      ServerlessV2ScalingConfiguration: { MinCapacity: number; MaxCapacity: number };
      ApplyImmediately: true;
    }): Promise<unknown>;
  };
  readonly wafv2: {
    getWebACL(input: { Name: string; Scope: string; Id: string }): Promise<{ WebACL?: WebAclDescription; LockToken?: string }>;
    updateWebACL(input: Json): Promise<unknown>;
  };
}

export interface ApplierOptions {
  /** @default console.log */
  readonly log?: (line: string) => void;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Tries of a call that failed on a busy resource (Aurora modifying, a WAF lock token gone stale). @default 6 */
  readonly attempts?: number;
  /** Wait between those tries. @default 10000 */
  readonly retryDelayMs?: number;
}

export interface ApplyResult {
  /** The window in force, or undefined for the base values. */
  readonly window?: string;
  readonly targets: CapacityTargets;
  /** What was set or found already set, one line each. */
  readonly actions: readonly string[];
}

/** Fields GetWebACL returns that UpdateWebACL does not take. */
const READ_ONLY_ACL_FIELDS = new Set([
  'ARN',
  'Capacity',
  'LabelNamespace',
  'ManagedByFirewallManager',
  'RetrofittedByFirewallManager',
  'PreProcessFirewallManagerRuleGroups',
  'PostProcessFirewallManagerRuleGroups',
]);

const errorName = (e: unknown): string => (e as { name?: string })?.name ?? '';
const sameRange = (a: { MinCapacity?: number; MaxCapacity?: number } | undefined, r: CapacityRange) => a?.MinCapacity === r.min && a?.MaxCapacity === r.max;

export function makeApplier(clients: ApplierClients, schedule: AppliedSchedule, resources: AppliedResources, opts: ApplierOptions = {}) {
  const log = opts.log ?? console.log;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = opts.attempts ?? 6;
  const delay = opts.retryDelayMs ?? 10_000;

  async function retrying<T>(what: string, busy: string, call: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await call();
      } catch (e) {
        if (errorName(e) !== busy || i >= attempts) throw e;
        log(`${what}: ${busy}, trying again in ${delay / 1000} s (${i}/${attempts})`);
        await sleep(delay);
      }
    }
  }

  async function web(t: CapacityTargets): Promise<string> {
    await clients.applicationAutoScaling.registerScalableTarget({
      ServiceNamespace: 'ecs',
      ResourceId: resources.webScalableTarget,
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: t.web.min,
      MaxCapacity: t.web.max,
    });
    return `web tasks: min ${t.web.min}, max ${t.web.max}`;
  }

  async function instances(group: string, min: number): Promise<string> {
    await clients.autoScaling.updateAutoScalingGroup({ AutoScalingGroupName: group, MinSize: min });
    return `EC2 instances: min ${min}`;
  }

  async function database(cluster: string, range: CapacityRange): Promise<string> {
    const found = (await clients.rds.describeDBClusters({ DBClusterIdentifier: cluster })).DBClusters?.[0];
    if (!found) throw new Error(`Aurora cluster ${cluster} not found`);
    if (sameRange(found.ServerlessV2ScalingConfiguration, range)) return `Aurora: ${range.min}-${range.max} ACU already`;
    await retrying('Aurora', 'InvalidDBClusterStateFault', () =>
      clients.rds.modifyDBCluster({
        DBClusterIdentifier: cluster,
        ServerlessV2ScalingConfiguration: { MinCapacity: range.min, MaxCapacity: range.max },
        ApplyImmediately: true,
      }),
    );
    return `Aurora: ${range.min}-${range.max} ACU`;
  }

  async function rateLimit(limit: number): Promise<string> {
    const acl = resources.webAcl;
    return retrying('WAF', 'WAFOptimisticLockException', async () => {
      const { WebACL: current, LockToken } = await clients.wafv2.getWebACL({ Name: acl.name, Scope: acl.scope, Id: acl.id });
      if (!current || !LockToken) throw new Error(`web ACL ${acl.name} (${acl.scope}) not found`);
      const rules = current.Rules ?? [];
      const rule = rules.find((r) => r.Name === acl.rateRule);
      const statement = rule?.Statement?.RateBasedStatement;
      if (!rule || !statement)
        throw new Error(`web ACL ${acl.name} has no rate-based rule named "${acl.rateRule}" (rules: ${rules.map((r) => r.Name).join(', ') || 'none'})`);
      if (statement.Limit === limit) return `WAF rate limit: ${limit} already`;
      const kept = Object.fromEntries(Object.entries(current).filter(([k]) => !READ_ONLY_ACL_FIELDS.has(k)));
      await clients.wafv2.updateWebACL({
        ...kept,
        Scope: acl.scope,
        LockToken,
        Rules: rules.map((r) => (r === rule ? { ...r, Statement: { ...r.Statement, RateBasedStatement: { ...statement, Limit: limit } } } : r)),
      });
      return `WAF rate limit: ${limit} (was ${statement.Limit})`;
    });
  }

  /** Applies the values of the window in force at `now`. */
  async function apply(now: Date): Promise<ApplyResult> {
    const active = activeWindow(schedule.windows, now);
    const t = active?.entry.targets ?? schedule.base;
    log(
      active
        ? `${now.toISOString()}: window "${active.entry.name}" is in force (opened ${active.since.toISOString()})`
        : `${now.toISOString()}: no window in force, base values`,
    );
    const parts: Array<[string, () => Promise<string>]> = [['web tasks', () => web(t)]];
    if (resources.autoScalingGroup !== undefined && t.instances !== undefined)
      parts.push(['EC2 instances', () => instances(resources.autoScalingGroup!, t.instances!)]);
    if (resources.dbCluster !== undefined && t.database !== undefined) parts.push(['Aurora capacity', () => database(resources.dbCluster!, t.database!)]);
    parts.push(['WAF rate limit', () => rateLimit(t.rateLimit)]);
    const actions: string[] = [];
    const failures: string[] = [];
    for (const [what, run] of parts) {
      try {
        const line = await run();
        actions.push(line);
        log(line);
      } catch (e) {
        failures.push(`${what}: ${errorName(e) || 'Error'}: ${(e as Error).message}`);
        log(`FAILED ${failures.at(-1)}`);
      }
    }
    if (failures.length) throw new Error(`the schedule applier could not set ${failures.join('; ')}`);
    return { window: active?.entry.name, targets: t, actions };
  }

  return { apply };
}
