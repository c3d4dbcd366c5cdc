// What the CDK app tells the schedule applier Lambda, and how: the schedule (each window's times and
// the values it sets, and the base values) as one JSON environment variable, and the resources it
// acts on as one variable each (names known only at deploy time). Both sides import this file, so
// the names and the shape cannot drift; it has no imports the Lambda bundle would not want.
import type { WindowTiming } from '../../../spec/windows.ts';

export interface CapacityRange {
  readonly min: number;
  readonly max: number;
}

/** Everything the schedule sets, in force outside every window (base) or inside one. */
export interface CapacityTargets {
  /** Web tasks: the ECS service's scalable target min and max. */
  readonly web: CapacityRange;
  /** Fewest EC2 container instances (the Auto Scaling group's MinSize); absent on Fargate. */
  readonly instances?: number;
  /** AWS WAF requests per client IP per 5 minutes. */
  readonly rateLimit: number;
  /** Aurora Serverless v2 capacity in ACUs; absent with provisioned instances. */
  readonly database?: CapacityRange;
}

/** A window: its times (read by src/spec/windows.ts) and what it sets while in force. */
export type AppliedWindow = WindowTiming & { readonly targets: CapacityTargets };

export interface AppliedSchedule {
  readonly base: CapacityTargets;
  /** Every window of scaling.schedule, in spec order (the order breaks ties). */
  readonly windows: readonly AppliedWindow[];
}

export type WebAclScope = 'CLOUDFRONT' | 'REGIONAL';

/** The resources the applier acts on. */
export interface AppliedResources {
  /** Application Auto Scaling resource id of the web service, "service/<cluster>/<service>". */
  readonly webScalableTarget: string;
  /** Name of the EC2 capacity's Auto Scaling group; absent on Fargate. */
  readonly autoScalingGroup?: string;
  /** Identifier of the Aurora cluster; absent with provisioned instances. */
  readonly dbCluster?: string;
  readonly webAcl: {
    readonly name: string;
    readonly id: string;
    readonly scope: WebAclScope;
    /** Region of the WAF API for this ACL: us-east-1 for CLOUDFRONT, the main region for REGIONAL. */
    readonly region: string;
    /** Name of the rate-based rule whose limit the schedule sets. */
    readonly rateRule: string;
  };
}

/** Environment variable names. */
export const ENV = {
  schedule: 'SCHEDULE',
  webScalableTarget: 'WEB_SCALABLE_TARGET',
  autoScalingGroup: 'AUTO_SCALING_GROUP',
  dbCluster: 'DB_CLUSTER',
  webAclName: 'WEB_ACL_NAME',
  webAclId: 'WEB_ACL_ID',
  webAclScope: 'WEB_ACL_SCOPE',
  webAclRegion: 'WEB_ACL_REGION',
  rateRule: 'WAF_RATE_RULE',
} as const;

/**
 * Characters the SCHEDULE variable may take. Lambda allows 4 KB for all variables together; the
 * others (names and ids resolved at deploy time) stay well under 1 KB.
 */
export const SCHEDULE_ENV_LIMIT = 3000;

/** The schedule as the SCHEDULE variable holds it (compact JSON). */
export function encodeSchedule(schedule: AppliedSchedule): string {
  return JSON.stringify(schedule);
}

/** The environment variables for a set of resources (values may be CDK tokens). */
export function resourceEnvironment(r: AppliedResources): Record<string, string> {
  return {
    [ENV.webScalableTarget]: r.webScalableTarget,
    ...(r.autoScalingGroup === undefined ? {} : { [ENV.autoScalingGroup]: r.autoScalingGroup }),
    ...(r.dbCluster === undefined ? {} : { [ENV.dbCluster]: r.dbCluster }),
    [ENV.webAclName]: r.webAcl.name,
    [ENV.webAclId]: r.webAcl.id,
    [ENV.webAclScope]: r.webAcl.scope,
    [ENV.webAclRegion]: r.webAcl.region,
    [ENV.rateRule]: r.webAcl.rateRule,
  };
}

/** Reads the schedule and resources back; throws naming every missing variable. */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): { schedule: AppliedSchedule; resources: AppliedResources } {
  const required = [ENV.schedule, ENV.webScalableTarget, ENV.webAclName, ENV.webAclId, ENV.webAclScope, ENV.webAclRegion, ENV.rateRule];
  const missing = required.filter((k) => !env[k]);
  if (missing.length) throw new Error(`schedule applier: missing environment variable(s) ${missing.join(', ')}`);
  const scope = env[ENV.webAclScope];
  if (scope !== 'CLOUDFRONT' && scope !== 'REGIONAL') throw new Error(`schedule applier: ${ENV.webAclScope} is "${scope}", not CLOUDFRONT or REGIONAL`);
  return {
    schedule: JSON.parse(env[ENV.schedule]!) as AppliedSchedule,
    resources: {
      webScalableTarget: env[ENV.webScalableTarget]!,
      autoScalingGroup: env[ENV.autoScalingGroup] || undefined,
      dbCluster: env[ENV.dbCluster] || undefined,
      webAcl: { name: env[ENV.webAclName]!, id: env[ENV.webAclId]!, scope, region: env[ENV.webAclRegion]!, rateRule: env[ENV.rateRule]! },
    },
  };
}
