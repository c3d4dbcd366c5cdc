// A task definition of the synthesized template, run on this machine's Docker the way the ECS agent
// would run it: the container's command, environment and secrets (ECS injects secret values as
// environment variables at start), health check, stop timeout, init process, read-only root, user,
// the task's memory and CPU as hard limits, its volumes, and the variables ECS itself gives every
// task on EC2 or on Fargate. A container setting the twin does not know fails the run: a new
// setting must be taught to the twin before it can pass.
import type Docker from 'dockerode';
import type { TemplateResource } from './intrinsics.ts';
import type { TwinWorld } from './world.ts';

/** Where the task runs: what ECS adds to the environment differs (AWS docs, "Amazon ECS environment variables"). */
export type LaunchType = 'ec2' | 'fargate';

/** Settings of a container definition the twin applies; anything else in the template is refused. */
const KNOWN_CONTAINER_KEYS = new Set([
  'Name',
  'Image',
  'Command',
  'EntryPoint',
  'Environment',
  'Secrets',
  'Essential',
  'HealthCheck',
  'StopTimeout',
  'LinuxParameters',
  'LogConfiguration',
  'MountPoints',
  'PortMappings',
  'ReadonlyRootFilesystem',
  'User',
  'WorkingDirectory',
  'Ulimits',
  'Memory',
  'MemoryReservation',
  'Cpu',
]);
const KNOWN_TASK_KEYS = new Set([
  'ContainerDefinitions',
  'Cpu',
  'Memory',
  'Family',
  'NetworkMode',
  'RequiresCompatibilities',
  'TaskRoleArn',
  'ExecutionRoleArn',
  'Volumes',
  'RuntimePlatform',
]);

export interface TaskPlatform {
  readonly launchType: LaunchType;
  /** The task's id (its metadata path and credentials path use it). */
  readonly taskId: string;
  /** Relative URI of the task role's credentials at 169.254.170.2. */
  readonly credentialsRelativeUri: string;
}

/**
 * What ECS sets in every container besides the task definition's own environment. On Fargate it also
 * sets AWS_REGION and AWS_DEFAULT_REGION; on EC2 the agent did not set them before it started to
 * (and a task must not depend on an agent version), so the EC2 twin leaves them out.
 */
export function platformEnvironment(p: TaskPlatform, region: string): Record<string, string> {
  const env: Record<string, string> = {
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: p.credentialsRelativeUri,
    ECS_CONTAINER_METADATA_URI_V4: `http://169.254.170.2/v4/${p.taskId}`,
    ECS_CONTAINER_METADATA_URI: `http://169.254.170.2/v3/${p.taskId}`,
    AWS_EXECUTION_ENV: p.launchType === 'fargate' ? 'AWS_ECS_FARGATE' : 'AWS_ECS_EC2',
  };
  if (p.launchType === 'fargate') Object.assign(env, { AWS_REGION: region, AWS_DEFAULT_REGION: region, ECS_AGENT_URI: `http://169.254.170.2/api/${p.taskId}` });
  return env;
}

export interface TaskNetwork {
  /** The network standing in for the task's subnet, and the task's address on it (its ENI). */
  readonly vpc: string;
  readonly ip: string;
  /** The network carrying 169.254.170.2 (ECS's task endpoints). */
  readonly endpoints: string;
}

export interface RunTaskOptions {
  readonly world: TwinWorld;
  readonly taskDefinition: TemplateResource;
  /** The locally built runtime image, standing in for the image the template names. */
  readonly image: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly platform: TaskPlatform;
  readonly network: TaskNetwork;
  /** Docker volume for each task volume name. */
  readonly volumes: Record<string, string>;
  /** Host files bound read-only into the container (the twin's trust stores). */
  readonly binds?: readonly string[];
  /** Overrides of the command, as a RunTask containerOverride would give. */
  readonly command?: readonly string[];
}

/** The Docker create options for the task's one container, from the template. */
export function containerCreateOptions(o: RunTaskOptions): Docker.ContainerCreateOptions {
  const td = o.taskDefinition.Properties ?? {};
  const w = o.world.intrinsics;
  for (const k of Object.keys(td))
    if (!KNOWN_TASK_KEYS.has(k))
      throw new Error(`task definition setting ${k} is not stood in by the ECS twin: teach test/support/ecs-twin/task.ts what ECS does with it`);
  if (td.NetworkMode !== 'awsvpc') throw new Error(`the twin runs awsvpc tasks only, got NetworkMode ${td.NetworkMode}`);
  const defs = td.ContainerDefinitions as Array<Record<string, any>>;
  if (defs.length !== 1) throw new Error(`the twin runs tasks of one container, got ${defs.length}`);
  const c = defs[0]!;
  for (const k of Object.keys(c))
    if (!KNOWN_CONTAINER_KEYS.has(k))
      throw new Error(`container setting ${k} is not stood in by the ECS twin: teach test/support/ecs-twin/task.ts what ECS does with it`);
  const where = `${td.Family}`;

  const env: Record<string, string> = {};
  for (const e of (c.Environment ?? []) as Array<{ Name: string; Value: unknown }>) env[e.Name] = w.string(e.Value, `${where} environment ${e.Name}`);
  for (const s of (c.Secrets ?? []) as Array<{ Name: string; ValueFrom: unknown }>) {
    if (s.Name in env) throw new Error(`${where}: ${s.Name} is both a variable and a secret`);
    env[s.Name] = o.world.secretFor(w.string(s.ValueFrom, `${where} secret ${s.Name}`));
  }
  Object.assign(env, platformEnvironment(o.platform, o.world.stack.region));

  const memoryMiB = Number(c.Memory ?? td.Memory);
  const cpuUnits = Number(td.Cpu ?? c.Cpu ?? 0);
  const mounts: Docker.MountSettings[] = [];
  const volumes = (td.Volumes ?? []) as Array<{ Name: string }>;
  for (const m of (c.MountPoints ?? []) as Array<{ SourceVolume: string; ContainerPath: string; ReadOnly?: boolean }>) {
    if (!volumes.some((v) => v.Name === m.SourceVolume)) throw new Error(`${where}: mount of unknown volume ${m.SourceVolume}`);
    const source = o.volumes[m.SourceVolume];
    if (!source) throw new Error(`${where}: the twin has no Docker volume for task volume ${m.SourceVolume}`);
    mounts.push({ Type: 'volume', Source: source, Target: m.ContainerPath, ReadOnly: m.ReadOnly ?? false });
  }
  const hc = c.HealthCheck as { Command: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number } | undefined;
  const [a, b, cc, d] = o.network.ip.split('.');
  const hostname = `ip-${a}-${b}-${cc}-${d}.${o.world.stack.region}.compute.internal`;
  const command = o.command ?? (c.Command as string[] | undefined);
  return {
    name: o.name,
    Image: o.image,
    Hostname: hostname,
    Labels: { ...o.labels, 'io.moodle-ha.twin.family': String(td.Family) },
    ...(command ? { Cmd: [...command] } : {}),
    ...(c.EntryPoint ? { Entrypoint: c.EntryPoint as string[] } : {}),
    ...(c.User ? { User: String(c.User) } : {}),
    ...(c.WorkingDirectory ? { WorkingDir: String(c.WorkingDirectory) } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    StopTimeout: Number(c.StopTimeout ?? 30),
    ...(hc
      ? {
          Healthcheck: {
            Test: hc.Command,
            Interval: (hc.Interval ?? 30) * 1e9,
            Timeout: (hc.Timeout ?? 5) * 1e9,
            Retries: hc.Retries ?? 3,
            StartPeriod: (hc.StartPeriod ?? 0) * 1e9,
          },
        }
      : {}),
    HostConfig: {
      NetworkMode: o.network.vpc,
      Init: c.LinuxParameters?.InitProcessEnabled === true,
      ReadonlyRootfs: c.ReadonlyRootFilesystem === true,
      ...(memoryMiB > 0 ? { Memory: memoryMiB * 1024 * 1024, MemorySwap: memoryMiB * 1024 * 1024 } : {}),
      ...(cpuUnits > 0 ? { NanoCpus: Math.round((cpuUnits / 1024) * 1e9) } : {}),
      Mounts: mounts,
      Binds: [...(o.binds ?? [])],
      ...(c.Ulimits
        ? {
            Ulimits: (c.Ulimits as Array<{ Name: string; SoftLimit: number; HardLimit: number }>).map((u) => ({
              Name: u.Name,
              Soft: u.SoftLimit,
              Hard: u.HardLimit,
            })),
          }
        : {}),
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: { EndpointsConfig: { [o.network.vpc]: { IPAMConfig: { IPv4Address: o.network.ip }, Aliases: [hostname] } } },
  };
}
