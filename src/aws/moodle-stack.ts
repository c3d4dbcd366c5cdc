// The main stack: the whole highly available Moodle in one region, composed from one construct per
// concern. Security groups admit only the tier in front: internet/CloudFront → ALB → tasks →
// Aurora, cache and moodledata.
import { CfnOutput, type CustomResource, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { RUNTIME_IMAGE } from '../contract/image.ts';
import { timeoutChain } from '../contract/timeouts.ts';
import { MoodleCluster } from './compute/cluster.ts';
import { containerImage, type ImageSource } from './compute/image.ts';
import { MigrateRunner, STARTED_BY } from './compute/migrate-runner.ts';
import { MoodleTasks } from './compute/moodle-tasks.ts';
import { cronService, webService } from './compute/services.ts';
import { ScheduledCapacity, webAclFromArn, type WebAclRef } from './compute/scheduled-capacity.ts';
import { addWebScaling } from './compute/web-scaling.ts';
import type { Deployment } from './plan.ts';
import { ConfigBucket, LogBucket } from './data/buckets.ts';
import { Cache } from './data/cache.ts';
import { Database, DATABASE_NAME, DATABASE_USER } from './data/database.ts';
import { backupCopyVaultArn } from './data/backup-copy-stack.ts';
import { MoodleBackups } from './data/backups.ts';
import { RestoredSharedFiles } from './data/restored-files.ts';
import { EfsSharedFiles, NfsSharedFiles, type ISharedFiles } from './data/shared-files.ts';
import { CloudFrontPrefixList } from './edge/cloudfront-prefix-list.ts';
import { EdgeDistribution } from './edge/distribution.ts';
import { MoodleWebAcl } from './edge/waf-rules.ts';
import { Network } from './network/network.ts';
import { AlarmTopic } from './observability/alarm-topic.ts';
import { CacheNotifications } from './observability/cache-notifications.ts';
import { MoodleAlarms } from './observability/alarms.ts';
import { MoodleDashboard } from './observability/dashboard.ts';
import { WebDeploymentAlarms } from './observability/deployment-alarms.ts';
import { MoodleEvents } from './observability/events.ts';
import { PipelineNotifications } from './observability/pipeline-notifications.ts';
import { acknowledgeFrameworkResources } from './framework-acks.ts';
import { LoadBalancer, type LoadBalancerProps } from './loadbalancer/load-balancer.ts';
import { MoodleMail } from './mail/mail.ts';
import { acknowledge, acknowledgeFinding } from './nag.ts';

export interface MoodleStackProps extends StackProps {
  readonly plan: Deployment;
  readonly image: ImageSource;
  /** CloudFront's us-east-1 certificate and web ACL. @default - no CloudFront (WAF on the ALB) */
  readonly edge?: { readonly certificate: acm.ICertificate; readonly webAcl: WebAclRef };
  /** Absolute path of the config bundle folder to upload. @default - none */
  readonly configBundleDir?: string;
  /** Lift RETAIN, snapshots and deletion protection so `destroy` deletes the data. @default false */
  readonly deleteData?: boolean;
  /** The image pipeline (its own stack), whose failed executions go to the alarm topic. @default - no pipeline */
  readonly pipeline?: codepipeline.IPipeline;
}

export class MoodleStack extends Stack {
  readonly plan: Deployment;
  readonly network: Network;
  readonly database: Database;
  /** Sessions and their locks (noeviction). */
  readonly cache: Cache;
  /** Moodle's MUC application caches (allkeys-lru); its session caches live in the sessions. */
  readonly cacheStore: Cache;
  readonly sharedFiles: ISharedFiles;
  readonly backups: MoodleBackups;
  readonly loadBalancer: LoadBalancer;
  readonly compute: MoodleCluster;
  readonly tasks: MoodleTasks;
  readonly webService: ecs.BaseService;
  readonly cronService: ecs.BaseService;
  readonly migrate: MigrateRunner;
  /** `migrate finish` after the services rolled (maintenance mode off). */
  readonly migrateFinish: CustomResource;
  readonly alarmTopic: AlarmTopic;
  readonly alarms: MoodleAlarms;
  readonly scheduledCapacity: ScheduledCapacity;
  readonly distribution?: EdgeDistribution;
  /** The REGIONAL web ACL on the ALB, when CloudFront is off (with CloudFront: EdgeStack.waf). */
  readonly waf?: MoodleWebAcl;
  /** Outgoing mail through Amazon SES (unless aws.mail.enabled is false). */
  readonly mail?: MoodleMail;
  private zones?: string[];

  constructor(scope: Construct, id: string, props: MoodleStackProps) {
    super(scope, id, { ...props, crossRegionReferences: props.edge !== undefined });
    const plan = (this.plan = props.plan);
    const a = plan.aws;
    const deleteData = props.deleteData ?? false;
    const prod = a.profile === 'production';
    const logRetention = (a.logRetention.seconds / 86400) as logs.RetentionDays;
    const zones = this.availabilityZones;

    this.alarmTopic = new AlarmTopic(this, 'Alarms', { email: a.alarmEmail });
    const topic = this.alarmTopic.topic;
    const network = (this.network = new Network(this, 'Network', { availabilityZones: zones, natGateways: a.natGateways, flowLogRetention: logRetention }));
    const vpc = network.vpc;
    const accessLogs = new LogBucket(this, 'AccessLogs', { deleteWithStack: deleteData, expireAfterDays: Math.max(90, logRetention) });
    const config = new ConfigBucket(this, 'Config', { accessLogs: accessLogs.bucket, bundleDirectory: props.configBundleDir, deleteWithStack: deleteData });

    // Data tier.
    this.database = new Database(this, 'Database', {
      vpc,
      subnets: network.dataSubnets,
      availabilityZones: zones,
      engine: a.database.engine,
      instanceClass: a.database.instanceClass,
      minCapacity: a.database.minCapacity,
      maxCapacity: a.database.maxCapacity,
      readers: a.database.readers,
      backupRetention: Duration.seconds(a.database.backupRetention.seconds),
      deletionProtection: deleteData ? false : a.database.deletionProtection,
      removalPolicy: deleteData ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT,
      logRetention,
      snapshotIdentifier: a.restore?.databaseSnapshotArn,
    });
    // Sessions and caches on separate replication groups: cache pressure never evicts a session.
    const cacheProps = {
      vpc,
      subnets: network.dataSubnets,
      availabilityZones: zones,
      engine: a.cache.engine,
      nodeType: a.cache.nodeType,
      replicas: a.cache.replicas,
    };
    this.cache = new Cache(this, 'Cache', { ...cacheProps, role: 'sessions' });
    this.cacheStore = new Cache(this, 'CacheStore', { ...cacheProps, role: 'caches' });
    const efsFiles =
      a.sharedFiles.type !== 'efs'
        ? undefined
        : a.restore
          ? new RestoredSharedFiles(this, 'SharedFiles', { vpc, subnets: network.dataSubnets, fileSystemId: a.restore.fileSystemId, logRetention })
          : new EfsSharedFiles(this, 'SharedFiles', {
              vpc,
              subnets: network.dataSubnets,
              removalPolicy: deleteData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
            });
    this.sharedFiles =
      efsFiles ??
      new NfsSharedFiles(this, 'SharedFiles', {
        server: a.sharedFiles.nfsServer!,
        path: a.sharedFiles.nfsPath,
        serverSecurityGroupId: a.sharedFiles.nfsSecurityGroupId,
      });
    const b = a.backup;
    const [hour, minute] = b.time.split(':').map(Number) as [number, number];
    const copyVault = b.copyTo
      ? backup.BackupVault.fromBackupVaultArn(this, 'BackupCopyVault', b.copyTo.vaultArn ?? backupCopyVaultArn(this, plan.name, b.copyTo.region))
      : undefined;
    this.backups = new MoodleBackups(this, 'Backups', {
      database: this.database.cluster,
      fileSystem: efsFiles?.fileSystem,
      startAt: { hour, minute },
      dailyRetention: Duration.seconds(b.dailyRetention.seconds),
      monthlyRetention: Duration.seconds(b.monthlyRetention.seconds),
      monthlyColdAfter: Duration.seconds(b.monthlyColdAfter.seconds),
      copyTo: copyVault,
    });
    const adminPassword = new secretsmanager.Secret(this, 'AdminPassword', {
      description: `Password of the Moodle admin user "${plan.site.adminUser}" (MOODLE_ADMIN_PASSWORD, used by the install)`,
      generateSecretString: { passwordLength: 24, excludeCharacters: `"'\\/@\`$` },
    });
    acknowledge(
      adminPassword,
      'SMG4',
      'Used once, by the install, to create the admin user; afterwards the password lives in Moodle, so rotating the secret would change nothing.',
    );

    // Entry: certificate, CloudFront restriction, load balancer, WAF.
    const zone = a.hostedZone
      ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: a.hostedZone.id, zoneName: a.hostedZone.name })
      : undefined;
    const certificate = a.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', a.certificateArn)
      : new acm.Certificate(this, 'Certificate', { domainName: plan.domain, validation: acm.CertificateValidation.fromDns(zone) });
    let originSecret: secretsmanager.Secret | undefined;
    let cloudFront: LoadBalancerProps['cloudFront'];
    if (props.edge) {
      originSecret = new secretsmanager.Secret(this, 'OriginSecret', {
        description: 'Value of the X-Origin-Verify header CloudFront adds and the ALB requires',
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      acknowledge(
        originSecret,
        'SMG4',
        'The header value lives in CloudFront and the ALB rule too: rotating means a redeploy with a new value (docs/aws.md), not a Lambda rotation.',
      );
      const secretValue = originSecret.secretValue.unsafeUnwrap();
      cloudFront =
        a.edge.origin === 'vpc'
          ? { origin: 'vpc', vpcCidr: network.cidr, originSecret: secretValue }
          : { origin: 'public', prefixListId: new CloudFrontPrefixList(this, 'CloudFrontAddresses').prefixListId, originSecret: secretValue };
    }
    // Every timeout from viewer to database, one derivation (src/contract/timeouts.ts).
    const timeouts = timeoutChain({ cloudFrontOriginRead: props.edge ? a.edge.originReadTimeout.seconds : undefined });
    const lb = (this.loadBalancer = new LoadBalancer(this, 'LoadBalancer', {
      // An internal load balancer (CloudFront VPC origin) lives in the private app subnets.
      vpc,
      subnets: cloudFront?.origin === 'vpc' ? network.appSubnets : network.publicSubnets,
      certificate,
      accessLogs: accessLogs.bucket,
      deregistrationDelay: Duration.seconds(a.deregistrationDelay.seconds),
      idleTimeout: Duration.seconds(timeouts.loadBalancerIdle),
      cloudFront,
      deletionProtection: prod && !deleteData,
    }));
    let webAcl = props.edge?.webAcl;
    if (!webAcl) {
      this.waf = new MoodleWebAcl(this, 'Waf', {
        scope: 'REGIONAL',
        rateLimit: a.edge.rateLimit,
        campusRanges: a.edge.campusRanges,
        campusRateLimit: a.edge.campusRateLimit,
        metricPrefix: `${plan.name}-alb`,
        logRetention,
        logRemovalPolicy: deleteData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });
      new wafv2.CfnWebACLAssociation(this, 'WafOnAlb', { resourceArn: lb.alb.loadBalancerArn, webAclArn: this.waf.webAclArn });
      webAcl = { ...webAclFromArn(this.waf.webAclArn, 'REGIONAL', this.region), referencedArns: this.waf.campusIpSets.map((s) => s.attrArn) };
    }

    // Outgoing mail.
    if (plan.mail) {
      this.mail = new MoodleMail(this, 'Mail', {
        domain: plan.mail.domain,
        mailFromDomain: plan.mail.mailFromDomain,
        noreplyAddress: plan.mail.noreplyAddress,
        zone,
        notifications: { topic, key: this.alarmTopic.key },
        sandboxRecipients: plan.mail.sandboxRecipients,
        logRetention,
      });
    }

    // Compute.
    const taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description: 'Moodle tasks: HTTP from the ALB, and task to task on 8080',
      allowAllOutbound: true,
    });
    taskSecurityGroup.connections.allowFrom(lb, ec2.Port.tcp(RUNTIME_IMAGE.port), 'HTTP from the load balancer');
    // The cron task's session-lock janitor asks whether the web task named in an old session lock
    // still answers (a connect to 8080, nothing else); see images/runtime/.../session-janitor.php.
    taskSecurityGroup.connections.allowInternally(ec2.Port.tcp(RUNTIME_IMAGE.port), 'session-lock janitor (cron) to web tasks: is the lock holder alive');
    this.database.connections.allowDefaultPortFrom(taskSecurityGroup, 'MySQL from the Moodle tasks');
    this.cache.connections.allowDefaultPortFrom(taskSecurityGroup, 'Redis protocol (TLS) from the Moodle tasks');
    this.cacheStore.connections.allowDefaultPortFrom(taskSecurityGroup, 'Redis protocol (TLS) from the Moodle tasks');
    this.compute = new MoodleCluster(this, 'Compute', {
      vpc,
      subnets: network.appSubnets,
      clusterName: plan.name,
      compute: a.compute.type,
      instanceType: a.compute.instanceType,
      minInstances: plan.web.minInstances,
      maxInstances: plan.web.peakTasks + 2,
      notifications: topic,
      ecsExec: a.ecsExec,
    });
    const cluster = this.compute.cluster;
    // The ECS agent mounts an EFS volume of an awsvpc task in the task's network namespace (its ENI
    // and group: aws/amazon-ecs-agent#2372); Docker mounts an NFS volume on the container instance.
    const nfsClients = this.compute.instanceSecurityGroup;
    if (!efsFiles && !nfsClients)
      throw new Error('MoodleStack: an NFS moodledata needs EC2 capacity (the spec rejects sharedFiles.type nfs with compute.type fargate)');
    this.sharedFiles.allowFrom(efsFiles ? taskSecurityGroup : nfsClients!);
    this.tasks = new MoodleTasks(this, 'Tasks', {
      familyPrefix: plan.name,
      compute: a.compute.type,
      image: containerImage(this, props.image),
      cpu: plan.web.cpu,
      memoryMiB: plan.web.memoryMiB,
      oneOffMemoryMiB: plan.web.oneOffMemoryMiB,
      sharedFiles: this.sharedFiles,
      logRetention,
      grantConfigRead: (g) => config.grantReadBundle(g),
      facts: {
        wwwroot: plan.wwwroot,
        dbHost: this.database.cluster.clusterEndpoint.hostname,
        dbReadHost: a.database.readers > 0 ? this.database.cluster.clusterReadEndpoint.hostname : undefined,
        dbPort: this.database.port,
        dbName: DATABASE_NAME,
        dbUser: DATABASE_USER,
        redisHost: this.cache.replicationGroup.attrPrimaryEndPointAddress,
        redisPort: this.cache.port,
        cacheHost: this.cacheStore.replicationGroup.attrPrimaryEndPointAddress,
        cachePort: this.cacheStore.port,
        configBundle: config.bundle ? { uri: config.bundle.uri, digest: config.bundle.digest, region: this.region } : undefined,
        phpMemoryLimit: plan.php.memoryLimit,
        fpmWorkers: plan.php.fpmWorkers,
        maxUpload: plan.php.maxUpload,
        keepaliveSeconds: timeouts.webKeepalive,
        sessionLockWaitSeconds: timeouts.sessionLockWait,
        // Only the load balancer (in the VPC) is believed about the viewer's address; behind
        // CloudFront, CloudFront-Viewer-Address names the viewer (the ALB only forwards CloudFront's requests).
        trustedProxies: network.cidr,
        clientIpHeader: props.edge ? 'cloudfront-viewer-address' : 'x-forwarded-for',
        adminUser: plan.site.adminUser,
        adminEmail: plan.site.adminEmail,
        siteFullName: plan.site.fullName,
        siteShortName: plan.site.shortName,
        siteDefaults: plan.siteDefaults,
        mail: this.mail?.taskSettings,
        secrets: {
          dbPassword: ecs.Secret.fromSecretsManager(this.database.secret, 'password'),
          redisPassword: ecs.Secret.fromSecretsManager(this.cache.authToken),
          cachePassword: ecs.Secret.fromSecretsManager(this.cacheStore.authToken),
          adminPassword: ecs.Secret.fromSecretsManager(adminPassword),
        },
      },
    });
    if (a.ecsExec) {
      acknowledgeFinding(this.tasks.taskRole, {
        rule: 'IAM5',
        finding: /^Resource::\*$/,
        reason: 'ECS Exec is on (aws.ecsExec): its ssmmessages channel actions, which CDK grants the task role, take no resource.',
      });
    }
    const serviceProps = {
      cluster,
      compute: a.compute.type,
      capacityProviderStrategies: this.compute.capacityProviderStrategies,
      securityGroup: taskSecurityGroup,
      subnets: network.appSubnets,
      ecsExec: a.ecsExec,
    } as const;
    this.migrate = new MigrateRunner(this, 'Migrate', {
      ...serviceProps,
      taskDefinition: this.tasks.definitions.migrate,
      subnets: vpc.selectSubnets(network.appSubnets).subnets,
      logRetention,
      database: { clusterIdentifier: this.database.cluster.clusterIdentifier },
    });
    this.migrate.node.addDependency(this.database.cluster, this.cache.replicationGroup, this.cacheStore.replicationGroup);
    // The bundle a task definition names is uploaded before anything loads it.
    if (config.bundle) this.migrate.node.addDependency(config.bundle.deployment);
    if (efsFiles) this.migrate.node.addDependency(efsFiles.ready);
    // Tasks start with the SMTP credentials derived, not the secret's placeholder.
    if (this.mail) this.migrate.node.addDependency(this.mail.credentials.resource);
    if (this.compute.capacityProvider) this.migrate.node.addDependency(this.compute.capacityProvider, cluster);
    const deploymentAlarms = new WebDeploymentAlarms(this, 'DeploymentAlarms', { targetGroup: lb.targetGroup });
    this.webService = webService(this, 'Web', {
      ...serviceProps,
      taskDefinition: this.tasks.definitions.web,
      targetGroup: lb.targetGroup,
      deploymentAlarms: deploymentAlarms.alarms,
    });
    this.cronService = cronService(this, 'Cron', { ...serviceProps, taskDefinition: this.tasks.definitions.cron });
    this.webService.node.addDependency(this.migrate.resource);
    this.cronService.node.addDependency(this.migrate.resource);
    // After an upgrade, maintenance mode ends only once both services run the new image.
    this.migrateFinish = this.migrate.finishAfter([this.webService, this.cronService]);
    const webScaling = addWebScaling(this, { service: this.webService, targetGroup: lb.targetGroup, web: plan.web, scaling: plan.scaling });
    this.scheduledCapacity = new ScheduledCapacity(this, 'Schedule', {
      schedule: plan.scaling.schedule,
      cluster,
      webService: this.webService,
      webScaling,
      autoScalingGroup: this.compute.autoScalingGroup,
      database: a.database.engine === 'serverless' ? this.database.cluster : undefined,
      webAcl,
      alarmTopic: topic,
      logRetention,
    });

    // Edge and DNS.
    let aliasTarget: route53.RecordTarget = route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(lb.alb));
    if (props.edge && cloudFront) {
      this.distribution = new EdgeDistribution(this, 'Edge', {
        loadBalancer: lb.alb,
        domain: plan.domain,
        certificate: props.edge.certificate,
        webAclArn: props.edge.webAcl.arn,
        originSecret: cloudFront.originSecret,
        logBucket: accessLogs.bucket,
        priceClass: a.edge.priceClass,
        originReadTimeout: Duration.seconds(timeouts.cloudFront!.originRead),
        originKeepaliveTimeout: Duration.seconds(timeouts.cloudFront!.originKeepalive),
        origin: cloudFront.origin,
      });
      aliasTarget = route53.RecordTarget.fromAlias(new route53Targets.CloudFrontTarget(this.distribution.distribution));
    }
    if (zone) {
      new route53.ARecord(this, 'SiteA', { zone, recordName: plan.domain, target: aliasTarget });
      // CloudFront answers IPv6 viewers; the ALB is IPv4 only, so no AAAA record points at it.
      if (this.distribution) new route53.AaaaRecord(this, 'SiteAaaa', { zone, recordName: plan.domain, target: aliasTarget });
    }

    // Observability.
    this.alarms = new MoodleAlarms(this, 'Monitoring', {
      topic,
      loadBalancer: lb.alb,
      targetGroup: lb.targetGroup,
      webService: this.webService,
      database: this.database.cluster,
      hasReaders: a.database.readers > 0,
      maxExpectedConnections: plan.web.peakTasks * plan.php.fpmWorkers + 10,
      sessionNodes: this.cache.memberClusterIds,
      fileSystem: efsFiles?.fileSystem,
      clusterName: plan.name,
    });
    new MoodleEvents(this, 'Events', {
      topic,
      cluster,
      services: [this.webService, this.cronService],
      scaledService: this.webService,
      migrateStartedBy: [STARTED_BY.migrate, STARTED_BY.finish],
      database: this.database.cluster,
      backupVaultArn: this.backups.vault.backupVaultArn,
    });
    new CacheNotifications(this, 'CacheEvents', { replicationGroups: [this.cache.replicationGroup, this.cacheStore.replicationGroup], email: a.alarmEmail });
    if (props.pipeline) new PipelineNotifications(this, 'PipelineEvents', { pipeline: props.pipeline, topic });
    new MoodleDashboard(this, 'Dashboard', {
      name: plan.name,
      loadBalancer: lb.alb,
      targetGroup: lb.targetGroup,
      webService: this.webService,
      clusterName: plan.name,
      database: this.database.cluster,
      cacheNodes: [...this.cache.memberClusterIds, ...this.cacheStore.memberClusterIds],
      fileSystemId: efsFiles?.fileSystem.fileSystemId,
      alarms: [...this.alarms.alarms, ...deploymentAlarms.alarms],
    });

    new CfnOutput(this, 'SiteUrl', { value: plan.wwwroot, description: 'MOODLE_WWWROOT' });
    if (this.mail) {
      new CfnOutput(this, 'MailSmtpSecret', {
        value: this.mail.credentials.secret.secretName,
        description: 'SES SMTP credentials the tasks use (username, password)',
      });
      new CfnOutput(this, 'MailConfigurationSet', {
        value: this.mail.configurationSet.configurationSetName,
        description: 'SES configuration set of every message (bounces, complaints and rejects to the alarm topic)',
      });
    }
    new CfnOutput(this, 'AdminPasswordSecret', { value: adminPassword.secretName, description: 'aws secretsmanager get-secret-value --secret-id <this>' });
    new CfnOutput(this, 'LoadBalancerDns', { value: lb.alb.loadBalancerDnsName });
    if (this.distribution) new CfnOutput(this, 'CloudFrontDomain', { value: this.distribution.distribution.distributionDomainName });
    if (config.bundle) new CfnOutput(this, 'ConfigBundle', { value: config.bundle.uri, description: 'MOODLE_CONFIG_BUNDLE' });
    if (!efsFiles && this.compute.instanceSecurityGroup) {
      new CfnOutput(this, 'NfsClientSecurityGroup', {
        value: this.compute.instanceSecurityGroup.securityGroupId,
        description: 'The ECS container instances mount the NFS export: allow TCP 2049 from this group (or from the VPC CIDR 10.60.0.0/16) on the NFS server',
      });
    }
    acknowledgeFrameworkResources(this);
  }

  /** Zones as tokens (Fn::GetAZs) or the spec's names: never a context lookup, so synth stays offline. */
  override get availabilityZones(): string[] {
    if (!this.zones) {
      const a = this.plan.aws;
      this.zones = a.availabilityZones ? [...a.availabilityZones] : Array.from({ length: a.azs }, (_, i) => Fn.select(i, Fn.getAzs()));
    }
    return this.zones;
  }
}
