// The deployment plan: the spec turned into the numbers the CDK app uses, plus the rules that
// need more than the `aws:` section (scaling, web sizes). Every problem names the spec path, the
// rule and the fix; all problems are reported at once.
import type { AwsSpec } from '../spec/aws.ts';
import type { Spec } from '../spec/schema.ts';
import { siteMail } from '../spec/mail.ts';
import { toMiB, type Duration } from '../spec/units.ts';
import { UserError } from '../util/errors.ts';
import { isArmInstanceType, taskMemoryMiB } from './compute/instance-types.ts';
import { capacitySchedule, type CapacitySchedule } from './compute/schedule.ts';

export interface WebSizing {
  /** Fewest web tasks (never below 2 in production). */
  readonly minTasks: number;
  /** Most web tasks outside scheduled windows. */
  readonly maxTasks: number;
  /** Most web tasks any scheduled window allows: sizes the Auto Scaling group. */
  readonly peakTasks: number;
  /** Fewest EC2 container instances outside windows (instanceFloor of minTasks; unused on Fargate). */
  readonly minInstances: number;
  readonly cpu: number;
  readonly memoryMiB: number;
  /** Memory of the cron and migrate tasks (Fargate: at least the smallest size its CPU allows). */
  readonly oneOffMemoryMiB: number;
}

export interface Deployment {
  /** Base name of the stacks and named resources. */
  readonly name: string;
  readonly aws: AwsSpec;
  readonly domain: string;
  /** MOODLE_WWWROOT. */
  readonly wwwroot: string;
  readonly web: WebSizing;
  readonly scaling: {
    /** ALBRequestCountPerTarget target: requests per task per minute. */
    readonly requestsPerTargetPerMinute: number;
    readonly cpuPercent: number;
    readonly scaleOutCooldown: Duration;
    readonly scaleInCooldown: Duration;
    /** What each capacity window sets and when the schedule applier runs. */
    readonly schedule: CapacitySchedule;
  };
  readonly php: { readonly memoryLimit: string; readonly maxUpload: string; readonly fpmWorkers: number };
  readonly site: { readonly fullName: string; readonly shortName: string; readonly adminUser: string; readonly adminEmail: string };
  /** Settings migrate writes so no "New settings" page follows the install. */
  readonly siteDefaults: { readonly supportEmail?: string; readonly timezone: string; readonly country?: string; readonly lang: string };
  /** Outgoing mail through Amazon SES. @default - none (aws.mail.enabled: false) */
  readonly mail?: MailPlan;
  /** The spec's config bundle folder, if any (uploaded to the config bucket). */
  readonly configBundle: string | undefined;
}

export interface MailPlan {
  /** The SES domain identity Moodle sends from (MOODLE_MAIL_DOMAIN). */
  readonly domain: string;
  /** The custom MAIL FROM domain, a subdomain of `domain`. @default - SES's own (amazonses.com) */
  readonly mailFromDomain?: string;
  /** MOODLE_NOREPLY_ADDRESS: site.noreplyAddress, or noreply@<domain>. */
  readonly noreplyAddress: string;
  /** Verified addresses the SMTP user may send to in the SES sandbox. */
  readonly sandboxRecipients: readonly string[];
}

/**
 * Web tasks one EC2 container instance holds: awsvpc gives every task its own network interface,
 * and the profiles' instance types (c6i.large, t3.medium) take 3, one of them the instance's own.
 */
export const TASKS_PER_INSTANCE = 2;

/**
 * EC2 container instances the web tasks and the cron task need, never fewer than 2 in production
 * (one per AZ, so tasks spread): the Auto Scaling group's MinSize follows the web floor with it.
 */
export function instanceFloor(webTasks: number, production: boolean): number {
  return Math.max(production ? 2 : 1, Math.ceil((webTasks + 1) / TASKS_PER_INSTANCE));
}

/** Memory of the cron and migrate tasks (one PHP CLI process each, besides the janitor). */
export const ONE_OFF_TASK_MIB = 1024;

/** Memory sizes (MiB) Fargate accepts for a task CPU size. */
export function fargateMemoryChoices(cpu: number): number[] {
  if (cpu === 256) return [512, 1024, 2048];
  const [lo, hi] = ({ 512: [1024, 4096], 1024: [2048, 8192], 2048: [4096, 16384], 4096: [8192, 30720] } as Record<number, [number, number]>)[cpu] ?? [0, -1];
  const out: number[] = [];
  for (let m = lo; m <= hi; m += 1024) out.push(m);
  return out;
}

/** Builds the plan or throws a UserError listing every problem with its path and fix. */
export function planDeployment(spec: Spec): Deployment {
  const a = spec.aws;
  const prod = a.profile === 'production';
  const problems: string[] = [];
  if (!a.domain) {
    problems.push(
      'aws.domain: required to deploy: set aws.domain to the public host name (e.g. "moodle.example.edu") and aws.hostedZone or aws.certificateArn for its certificate',
    );
  }
  const floor = prod ? 2 : 1;
  if (prod && spec.scaling.max < floor) {
    problems.push(
      `scaling.max: production keeps at least ${floor} web tasks in different AZs but scaling.max is ${spec.scaling.max}: set scaling.max to ${floor} or more, or use aws.profile: small`,
    );
  }
  spec.scaling.schedule.forEach((e, i) => {
    if (prod && e.min >= 1 && e.min < floor) {
      problems.push(`scaling.schedule.${i}.min: production keeps at least ${floor} web tasks, even in a quiet window: set min to ${floor} or more`);
    }
  });
  const cpu = a.compute.taskCpu;
  const memoryMiB = toMiB(spec.web.memory);
  if (a.compute.type === 'fargate') {
    const choices = fargateMemoryChoices(cpu);
    if (!choices.includes(memoryMiB)) {
      const gi = (m: number) => (m % 1024 === 0 ? `${m / 1024}Gi` : `${m}Mi`);
      problems.push(
        `web.memory: Fargate runs a ${cpu}-unit task with one of ${gi(choices[0]!)}…${gi(choices.at(-1)!)} (${choices.length} sizes), not ${memoryMiB} MiB: set web.memory to e.g. "${gi(choices[0]!)}", or change aws.compute.taskCpu`,
      );
    }
  } else if (memoryMiB < 512) {
    problems.push(`web.memory: a web task needs at least 512 MiB on EC2, got ${memoryMiB} MiB: set web.memory to "1Gi" or more`);
  } else {
    const type = a.compute.instanceType;
    const usable = taskMemoryMiB(type);
    if (isArmInstanceType(type)) {
      problems.push(
        `aws.compute.instanceType: ${type} is a Graviton (arm64) type, but the runtime image is built for x86_64: use an x86_64 type such as "m6i.large"`,
      );
    } else if (usable !== undefined && memoryMiB + ONE_OFF_TASK_MIB > usable) {
      problems.push(
        `web.memory: a ${memoryMiB} MiB web task and the ${ONE_OFF_TASK_MIB} MiB cron task do not fit the ${usable} MiB ECS can use on a ${type}: choose a larger aws.compute.instanceType (e.g. "m6i.large", 8 GiB) or lower web.memory`,
      );
    }
  }
  const minTasks = Math.max(spec.scaling.min, floor);
  const maxTasks = Math.max(spec.scaling.max, minTasks);
  let schedule: CapacitySchedule | undefined;
  try {
    schedule = capacitySchedule(spec.scaling.schedule, {
      web: { min: minTasks, max: maxTasks },
      instancesFor: a.compute.type === 'ec2' ? (tasks) => instanceFloor(tasks, prod) : undefined,
      rateLimit: a.edge.rateLimit,
      database: a.database.engine === 'serverless' ? { min: a.database.minCapacity, max: a.database.maxCapacity } : undefined,
      production: prod,
      floor,
    });
  } catch (e) {
    if (e instanceof UserError) problems.push(...e.details);
    else throw e;
  }
  let mail: MailPlan | undefined;
  if (a.mail.enabled && a.mail.domain) {
    const domain = a.mail.domain;
    const { noreplyAddress } = siteMail(spec, domain);
    const at = noreplyAddress.slice(noreplyAddress.lastIndexOf('@') + 1).toLowerCase();
    if (at !== domain) {
      problems.push(
        `site.noreplyAddress: ${noreplyAddress} is not at ${domain}, the domain SES sends from (aws.mail.domain, default aws.domain), and the SMTP user may only send from it: use an address such as noreply@${domain}, or set aws.mail.domain: ${at}`,
      );
    }
    mail = {
      domain,
      noreplyAddress,
      sandboxRecipients: a.mail.sandboxRecipients,
      mailFromDomain: a.mail.mailFromSubdomain ? `${a.mail.mailFromSubdomain}.${domain}` : undefined,
    };
  }
  if (problems.length || !schedule) {
    throw new UserError(`the spec cannot be deployed to AWS (${problems.length} problem${problems.length > 1 ? 's' : ''}); nothing was changed:`, problems);
  }
  const domain = a.domain!;
  return {
    name: spec.name,
    aws: a,
    domain,
    wwwroot: `https://${domain}`,
    web: {
      minTasks,
      maxTasks,
      peakTasks: Math.max(maxTasks, ...schedule.windows.map((w) => w.targets.web.max)),
      minInstances: instanceFloor(minTasks, prod),
      cpu,
      memoryMiB,
      oneOffMemoryMiB: a.compute.type === 'fargate' ? Math.max(ONE_OFF_TASK_MIB, fargateMemoryChoices(cpu)[0]!) : ONE_OFF_TASK_MIB,
    },
    scaling: {
      requestsPerTargetPerMinute: Math.round(spec.scaling.targetRequestsPerNode * 60),
      cpuPercent: spec.scaling.targetCpuPercent,
      scaleOutCooldown: spec.scaling.scaleOutCooldown,
      scaleInCooldown: spec.scaling.scaleInCooldown,
      schedule,
    },
    php: { memoryLimit: `${toMiB(spec.web.phpMemory)}M`, maxUpload: `${toMiB(spec.web.maxUpload)}M`, fpmWorkers: spec.web.fpmWorkers },
    site: { fullName: spec.site.fullName, shortName: spec.site.shortName, adminUser: spec.site.adminUser, adminEmail: spec.site.adminEmail },
    siteDefaults: { supportEmail: spec.site.supportEmail, timezone: spec.site.timezone, country: spec.site.country, lang: spec.site.lang },
    mail,
    configBundle: spec.configBundle,
  };
}
