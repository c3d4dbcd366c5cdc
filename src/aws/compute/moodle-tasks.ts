// The three task definitions of the one runtime image: web, cron and migrate differ only by the
// container command (the mode), their env contract subset and, for web, the port. All mount
// moodledata at the image's shared data dir and run in awsvpc mode (a security group per task).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { IMAGE_MODES, RUNTIME_IMAGE, type ImageMode } from '../../contract/image.ts';
import type { ISharedFiles } from '../data/shared-files.ts';
import { SHARED_VOLUME } from '../data/shared-files.ts';
import { acknowledge, acknowledgeFinding } from '../nag.ts';
import { containerSettings, type TaskFacts } from './task-environment.ts';

export interface MoodleTasksProps {
  /** Family prefix: families are "<prefix>-web", "-cron", "-migrate". */
  readonly familyPrefix: string;
  readonly compute: 'ec2' | 'fargate';
  readonly image: ecs.ContainerImage;
  /** CPU units of each task. @default 512 */
  readonly cpu?: number;
  /** Memory of a web task in MiB. @default 2048 */
  readonly memoryMiB?: number;
  /** Memory of the cron and migrate tasks in MiB (one PHP CLI process each). @default 1024 */
  readonly oneOffMemoryMiB?: number;
  readonly facts: TaskFacts;
  readonly sharedFiles: ISharedFiles;
  /** Grants the task role whatever reads the config bundle needs. */
  readonly grantConfigRead: (grantee: iam.IGrantable) => void;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

export class MoodleTasks extends Construct {
  /** One task role for the three modes: mount moodledata, read the config bundle. */
  readonly taskRole: iam.Role;
  readonly definitions: Record<ImageMode, ecs.TaskDefinition>;
  readonly containers: Record<ImageMode, ecs.ContainerDefinition>;
  readonly logGroups: Record<ImageMode, logs.LogGroup>;

  constructor(scope: Construct, id: string, props: MoodleTasksProps) {
    super(scope, id);
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Moodle web, cron and migrate tasks: moodledata and the config bundle',
    });
    props.sharedFiles.grantMount(this.taskRole);
    props.grantConfigRead(this.taskRole);
    acknowledgeFinding(this.taskRole, {
      rule: 'IAM5',
      finding: /^Resource::<.*Config.*\.Arn>\/bundle\/\*$/,
      reason: 'Reads the objects of the config bundle: every key under the bundle/ prefix of the config bucket, nothing else.',
    });

    const definitions = {} as Record<ImageMode, ecs.TaskDefinition>;
    const containers = {} as Record<ImageMode, ecs.ContainerDefinition>;
    const logGroups = {} as Record<ImageMode, logs.LogGroup>;
    for (const mode of IMAGE_MODES) {
      const td = new ecs.TaskDefinition(this, cap(mode), {
        family: `${props.familyPrefix}-${mode}`,
        compatibility: props.compute === 'fargate' ? ecs.Compatibility.FARGATE : ecs.Compatibility.EC2,
        networkMode: ecs.NetworkMode.AWS_VPC,
        cpu: String(props.cpu ?? 512),
        memoryMiB: String(mode === 'web' ? (props.memoryMiB ?? 2048) : (props.oneOffMemoryMiB ?? 1024)),
        taskRole: this.taskRole,
        volumes: [props.sharedFiles.volume],
        runtimePlatform:
          props.compute === 'fargate' ? { operatingSystemFamily: ecs.OperatingSystemFamily.LINUX, cpuArchitecture: ecs.CpuArchitecture.X86_64 } : undefined,
      });
      const logGroup = new logs.LogGroup(this, `${cap(mode)}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const { environment, secrets } = containerSettings(mode, props.facts);
      const container = td.addContainer(mode, {
        image: props.image,
        command: [mode],
        environment,
        secrets,
        essential: true,
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: mode }),
        portMappings: mode === 'web' ? [{ containerPort: RUNTIME_IMAGE.port, protocol: ecs.Protocol.TCP, name: 'http' }] : [],
        stopTimeout: Duration.seconds(RUNTIME_IMAGE.drainSeconds + 5),
        linuxParameters: new ecs.LinuxParameters(this, `${cap(mode)}Linux`, { initProcessEnabled: true }),
      });
      container.addMountPoints({ sourceVolume: SHARED_VOLUME, containerPath: RUNTIME_IMAGE.sharedDataDir, readOnly: false });
      acknowledgeFinding(td, {
        rule: 'IAM5',
        finding: /^Resource::\*$/,
        reason: 'The execution role needs ecr:GetAuthorizationToken to pull the image; that call takes no resource.',
      });
      acknowledge(
        td,
        'ECS2',
        "Only non-secret settings from the image's env contract are plain variables (host names, ports, flags); every secret is an ECS secret from Secrets Manager.",
      );
      definitions[mode] = td;
      containers[mode] = container;
      logGroups[mode] = logGroup;
    }
    this.definitions = definitions;
    this.containers = containers;
    this.logGroups = logGroups;
  }
}

function cap(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}
