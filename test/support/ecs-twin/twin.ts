// The ECS twin: the main stack's task definitions run on this machine's Docker as ECS would run
// them, among stand-ins with AWS's semantics — Aurora (MariaDB requiring TLS, with a certificate
// from a stand-in "RDS CA"), ElastiCache (Redis with TLS and AUTH, one per replication group, with
// the group's eviction policy), S3 (checks Signature Version 4, in the stack's region) with the
// config bundle uploaded where the stack's BucketDeployment puts it, ECS's credentials and
// metadata endpoints at 169.254.170.2, EFS (a shared volume), and CloudFront + the ALB in front.
// Networks: the VPC (the template's CIDR; internal: nothing leaves it), 169.254.170.0/24 for the
// task endpoints, and an "internet" network between the viewer, CloudFront and the ALB.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type Docker from 'dockerode';
import { ENV_CONTRACT } from '../../../src/contract/env.ts';
import type { ImageMode } from '../../../src/contract/image.ts';
import { SERVICE_UIDS } from '../../../src/image/service-images.ts';
import { putFiles, readFileFrom, StartedContainer, type TestSession, withTimeout } from '../containers.ts';
import { albConfig, cloudFrontConfig, edgeSettings, type EdgeSettings } from './edge.ts';
import type { TemplateResource } from './intrinsics.ts';
import { TestCa } from './pki.ts';
import { onlyResource, resourcesOf, taskDefinition, type SynthesizedStack } from './stack.ts';
import { containerCreateOptions, type LaunchType } from './task.ts';
import { TwinWorld } from './world.ts';

export interface TwinImages {
  readonly runtime: string;
  readonly mariadb: string;
  readonly redis: string;
  readonly haproxy: string;
  /** An image with Node.js (the controller image): runs the AWS stand-in. */
  readonly node: string;
}

export interface CacheStandIn {
  readonly logicalId: string;
  readonly container: StartedContainer;
  readonly host: string;
  readonly port: number;
  readonly password: string;
  readonly policy: string;
}

export interface TwinTask {
  readonly name: string;
  readonly mode: ImageMode;
  readonly launchType: LaunchType;
  readonly ip: string;
  readonly container: StartedContainer;
}

/** Memory of a stand-in cache: small, so tests can fill it. */
export const CACHE_STANDIN_MAXMEMORY = '64mb';
const ELASTICACHE_DEFAULT_POLICY = 'volatile-lru';
const INTERNET_SUBNET = '10.203.0.0/24';

export class EcsTwin {
  readonly world: TwinWorld;
  readonly edge: EdgeSettings;
  readonly ca = {
    rds: new TestCa('twin stand-in for the Amazon RDS CA'),
    amazon: new TestCa('twin stand-in for Amazon Trust Services'),
    rogue: new TestCa('a CA nobody trusts'),
  };
  readonly net: { vpc: string; endpoints: string; internet: string } = { vpc: '', endpoints: '', internet: '' };
  private readonly hostDir = mkdtempSync(join(tmpdir(), 'moodle-ha-twin-'));
  private nextTaskIp = 10;
  private vpcPrefix = '';
  db!: StartedContainer;
  dbHost = '';
  /** Aurora's reader endpoint: the same stand-in answers it (Aurora's readers hold the same data). */
  dbReadHost = '';
  readonly caches: CacheStandIn[] = [];
  aws!: StartedContainer;
  alb!: StartedContainer;
  cloudFront?: StartedContainer;
  /** 127.0.0.1 port viewers connect to (CloudFront's, or the ALB's without CloudFront). */
  viewerPort = 0;
  readonly tasks: TwinTask[] = [];
  /** S3 objects the stand-in serves, by bucket: the bundle upload. */
  readonly bucketFiles = new Map<string, Array<{ key: string; content: Buffer }>>();
  private trustBinds: string[] = [];

  constructor(
    readonly stack: SynthesizedStack,
    readonly session: TestSession,
    readonly images: TwinImages,
    readonly bundleDir?: string,
  ) {
    this.world = new TwinWorld(stack);
    this.edge = edgeSettings(this.world);
  }

  private get docker(): Docker {
    return this.session.docker;
  }

  /** Networks, then the data services, the AWS endpoints and the entry. */
  async startStandIns(): Promise<void> {
    const [, vpc] = onlyResource(this.world.template, 'AWS::EC2::VPC');
    const cidr = String(vpc.Properties!.CidrBlock);
    this.vpcPrefix = cidr.split('.').slice(0, 2).join('.');
    this.net.vpc = await this.network('vpc', cidr, true);
    this.net.endpoints = await this.network('ecs-endpoints', '169.254.170.0/24', true);
    this.net.internet = await this.network('internet', INTERNET_SUBNET, false);
    await this.prepareTrust();
    await this.world.runCustomResources();
    await settleAll([this.startDatabase(), this.startCaches(), this.startAws()]);
  }

  private async network(role: string, subnet: string, internal: boolean): Promise<string> {
    const name = this.session.name(role);
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Internal: internal,
        Labels: this.session.labels,
        CheckDuplicate: true,
        IPAM: { Config: [{ Subnet: subnet }] },
      });
    } catch (e) {
      // The twin's networks have the stack's own addresses (the VPC's range, ECS's 169.254.170.2):
      // one twin at a time per Docker engine.
      if (!/overlaps/i.test((e as Error).message)) throw e;
      const users = (await this.docker.listNetworks()).filter((n) => n.IPAM?.Config?.some((c) => c.Subnet === subnet)).map((n) => n.Name);
      throw new Error(
        `the twin's ${role} network needs ${subnet}, which ${users.join(', ') || 'another Docker network'} already uses: another twin run (or a network of that range) is on this Docker engine; wait for it or remove it, then run again`,
      );
    }
    return name;
  }

  /**
   * The trust the image finds on AWS: the public roots in its system store (S3's and ElastiCache's
   * certificates chain to Amazon Trust Services, which Debian's store holds), and the RDS CA bundle.
   * The twin's stand-in CAs take their places: the system store of the image plus the "Amazon" CA,
   * and the "RDS" CA at the paths where the image keeps the bundles it verifies with.
   */
  private async prepareTrust(): Promise<void> {
    const probe = await this.docker.createContainer({ Image: this.images.runtime, Cmd: ['true'], Labels: this.session.labels });
    let system: string;
    try {
      system = (await readFileFrom(probe, '/etc/ssl/certs/ca-certificates.crt')).toString();
    } finally {
      await probe.remove({ force: true });
    }
    const write = (name: string, content: string) => {
      const p = join(this.hostDir, name);
      writeFileSync(p, content, { mode: 0o644 });
      return p;
    };
    this.trustBinds = [`${write('system-ca.pem', `${system}\n${this.ca.amazon.cert}`)}:/etc/ssl/certs/ca-certificates.crt:ro`];
    const defaults = Object.fromEntries(ENV_CONTRACT.filter((v) => v.default !== undefined).map((v) => [v.name, v.default!]));
    const dbCa = defaults.MOODLE_DB_TLS_CA;
    const cacheCa = defaults.MOODLE_REDIS_TLS_CA;
    if (dbCa) this.trustBinds.push(`${write('rds-ca.pem', this.ca.rds.cert)}:${dbCa}:ro`);
    if (cacheCa) this.trustBinds.push(`${write('amazon-ca.pem', this.ca.amazon.cert)}:${cacheCa}:ro`);
  }

  // ---- Aurora -----------------------------------------------------------------------------------
  private dbFiles(certs: { cert: string; key: string }, password: string) {
    const uid = SERVICE_UIDS.mariadb;
    return [
      { dir: '/run/mysqld/secrets', files: [{ path: 'db-password', content: password, mode: 0o400, uid }] },
      {
        dir: '/etc/mysql/twin',
        files: [
          { path: 'server.pem', content: certs.cert, mode: 0o444, uid },
          { path: 'server.key', content: certs.key, mode: 0o400, uid },
        ],
      },
    ];
  }

  private async startDatabase(): Promise<void> {
    const [id, cluster] = onlyResource(this.world.template, 'AWS::RDS::DBCluster');
    const s = this.world.standIn(id, cluster)!;
    this.dbHost = s.attributes!['Endpoint.Address']!;
    this.dbReadHost = s.attributes!['ReadEndpoint.Address']!;
    const port = Number(s.attributes!['Endpoint.Port']);
    const [, attachment] = onlyResource(this.world.template, 'AWS::SecretsManager::SecretTargetAttachment');
    const secretArn = this.world.intrinsics.string(attachment.Properties!.SecretId, 'database secret');
    const secret = JSON.parse(this.world.secretFor(secretArn)) as { username: string; password: string };
    const name = this.session.name('aurora');
    const container = await this.docker.createContainer({
      name,
      Image: this.images.mariadb,
      Labels: this.session.labels,
      Env: [`MARIADB_DATABASE=${cluster.Properties!.DatabaseName}`, `MARIADB_USER=${secret.username}`, 'MARIADB_PASSWORD_FILE=/run/mysqld/secrets/db-password'],
      HostConfig: { NetworkMode: this.net.vpc },
      NetworkingConfig: { EndpointsConfig: { [this.net.vpc]: { Aliases: [this.dbHost, this.dbReadHost] } } },
    });
    // Aurora MySQL 3 with the stack's cluster parameters that matter here: its port, TLS required.
    const params = this.clusterParameters(cluster);
    // Aurora MySQL 3 is MySQL 8.0: Moodle's environment check refuses its MySQL drivers on a server
    // that says it is MariaDB, so the stand-in reports the MySQL version of the stack's engine.
    const engine = /^(\d+\.\d+)\.mysql_aurora/.exec(String(cluster.Properties!.EngineVersion ?? ''));
    if (!engine) throw new Error(`the twin stands in for Aurora MySQL, not engine version ${cluster.Properties!.EngineVersion}`);
    const cnf = [
      '[mysqld]',
      `version = ${engine[1]}.39-aurora-twin`,
      `port = ${port}`,
      `require_secure_transport = ${params.require_secure_transport ?? 'OFF'}`,
      'ssl_cert = /etc/mysql/twin/server.pem',
      'ssl_key = /etc/mysql/twin/server.key',
    ].join('\n');
    for (const f of [
      ...this.dbFiles(this.ca.rds.issue([this.dbHost, this.dbReadHost]), secret.password),
      { dir: '/etc/mysql/mariadb.conf.d', files: [{ path: '70-twin.cnf', content: `${cnf}\n`, mode: 0o644 }] },
    ]) {
      await putFiles(container, f.dir, f.files);
    }
    await container.start();
    this.db = new StartedContainer(container, name);
    await this.db.waitForHealthy(120_000);
  }

  private clusterParameters(cluster: TemplateResource): Record<string, string> {
    const ref = cluster.Properties?.DBClusterParameterGroupName;
    if (!ref) return {};
    const id = (ref as { Ref?: string }).Ref;
    const group = id ? this.world.template.Resources[id] : undefined;
    return (group?.Properties?.Parameters ?? {}) as Record<string, string>;
  }

  /** Restarts the database stand-in with a certificate from `ca` for `names` (a man in the middle, or the real one back). */
  async swapDatabaseCertificate(ca: TestCa, names: readonly string[]): Promise<void> {
    const certs = ca.issue(names);
    await putFiles(this.db.container, '/etc/mysql/twin', this.dbFiles(certs, '')[1]!.files);
    await this.db.container.restart({ t: 20 });
    await this.db.waitForHealthy(120_000);
  }

  // ---- ElastiCache ------------------------------------------------------------------------------
  private cachePolicy(group: TemplateResource): string {
    const ref = group.Properties?.CacheParameterGroupName;
    const id = (ref as { Ref?: string } | undefined)?.Ref;
    if (!id) return ELASTICACHE_DEFAULT_POLICY;
    return String(this.world.template.Resources[id]?.Properties?.Properties?.['maxmemory-policy'] ?? ELASTICACHE_DEFAULT_POLICY);
  }

  private cacheFiles(certs: { cert: string; key: string }, password: string) {
    const uid = SERVICE_UIDS.redis;
    return [
      { dir: '/run/redis/secrets', files: [{ path: 'redis-password', content: password, mode: 0o400, uid }] },
      {
        dir: '/run/redis/tls',
        files: [
          { path: 'server.pem', content: certs.cert, mode: 0o444, uid },
          { path: 'server.key', content: certs.key, mode: 0o400, uid },
          { path: 'ca.pem', content: this.ca.amazon.cert, mode: 0o444, uid },
        ],
      },
    ];
  }

  private async startCaches(): Promise<void> {
    const groups = resourcesOf(this.world.template, 'AWS::ElastiCache::ReplicationGroup');
    await settleAll(
      groups.map(async ([id, group], i) => {
        const s = this.world.standIn(id, group)!;
        const host = s.attributes!['PrimaryEndPoint.Address']!;
        const port = Number(s.attributes!['PrimaryEndPoint.Port']);
        if (group.Properties?.TransitEncryptionEnabled !== true)
          throw new Error(`replication group ${id} has no TLS: the twin stands in for ElastiCache with transit encryption only`);
        const password = this.world.resolveWithSecrets(group.Properties!.AuthToken, `${id}.AuthToken`);
        const policy = this.cachePolicy(group);
        const name = this.session.name(`cache-${i + 1}`);
        const extra = [
          'port 0',
          `tls-port ${port}`,
          'tls-cert-file /run/redis/tls/server.pem',
          'tls-key-file /run/redis/tls/server.key',
          'tls-ca-cert-file /run/redis/tls/ca.pem',
          'tls-auth-clients no',
          `maxmemory ${CACHE_STANDIN_MAXMEMORY}`,
          `maxmemory-policy ${policy}`,
        ].join('\n');
        const container = await this.docker.createContainer({
          name,
          Image: this.images.redis,
          Labels: this.session.labels,
          Env: ['REDIS_PASSWORD_FILE=/run/redis/secrets/redis-password', `REDIS_EXTRA=${extra}`],
          HostConfig: { NetworkMode: this.net.vpc },
          NetworkingConfig: { EndpointsConfig: { [this.net.vpc]: { Aliases: [host] } } },
        });
        for (const f of this.cacheFiles(this.ca.amazon.issue([host]), password)) await putFiles(container, f.dir, f.files);
        await container.start();
        const started = new StartedContainer(container, name);
        const cache: CacheStandIn = { logicalId: id, container: started, host, port, password, policy };
        await this.waitForCache(cache);
        this.caches.push(cache);
      }),
    );
  }

  /** Runs redis-cli against a stand-in cache over TLS. */
  async redisCli(cache: CacheStandIn, args: readonly string[], timeoutMs = 30_000, verify = true) {
    const tls = verify ? ['--cacert', '/run/redis/tls/ca.pem', '--sni', cache.host] : ['--insecure'];
    return cache.container.exec(
      ['redis-cli', '--tls', ...tls, '-h', '127.0.0.1', '-p', String(cache.port), '--no-auth-warning', '-a', cache.password, ...args],
      { timeoutMs },
    );
  }

  private async waitForCache(cache: CacheStandIn): Promise<void> {
    const t0 = Date.now();
    let last = '';
    while (Date.now() - t0 < 60_000) {
      // Up, whatever certificate it presents (a test may have swapped in one nobody trusts).
      const r = await this.redisCli(cache, ['ping'], 30_000, false).catch((e: Error) => ({ stdout: '', stderr: e.message, exitCode: -1 }));
      if (/PONG/.test(r.stdout)) return;
      last = r.stdout + r.stderr;
      await new Promise((res) => setTimeout(res, 300));
    }
    throw new Error(`cache stand-in ${cache.host} not answering PING over TLS after 60 s: ${last}`);
  }

  /** Restarts a cache stand-in with a certificate from `ca` for `names`. */
  async swapCacheCertificate(cache: CacheStandIn, ca: TestCa, names: readonly string[]): Promise<void> {
    await putFiles(cache.container.container, '/run/redis/tls', this.cacheFiles(ca.issue(names), cache.password)[1]!.files);
    await cache.container.container.restart({ t: 10 });
    await this.waitForCache(cache);
  }

  // ---- S3 and ECS's task endpoints ----------------------------------------------------------------
  /** Objects the stack's BucketDeployment uploads: the spec's config bundle under its destination prefix. */
  private bundleUpload(): void {
    const deployments = resourcesOf(this.world.template, 'Custom::CDKBucketDeployment');
    if (deployments.length === 0) return;
    if (!this.bundleDir) throw new Error('the stack uploads a config bundle but the twin was given no bundle folder');
    for (const [id, d] of deployments) {
      const bucket = this.world.intrinsics.string(d.Properties!.DestinationBucketName, `${id}.DestinationBucketName`);
      const prefix = d.Properties!.DestinationBucketKeyPrefix
        ? this.world.intrinsics.string(d.Properties!.DestinationBucketKeyPrefix, `${id}.DestinationBucketKeyPrefix`)
        : '';
      const files = this.bucketFiles.get(bucket) ?? [];
      for (const file of walk(this.bundleDir))
        files.push({ key: `${prefix.replace(/\/?$/, prefix ? '/' : '')}${file}`, content: readFileSync(join(this.bundleDir, file)) });
      this.bucketFiles.set(bucket, files);
    }
  }

  readonly credentials = {
    relativeUri: `/v2/credentials/${randomUUID()}`,
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    token: randomBytes(96).toString('base64'),
  };

  private async startAws(): Promise<void> {
    this.bundleUpload();
    const buckets = resourcesOf(this.world.template, 'AWS::S3::Bucket').map(([id, r]) => this.world.standIn(id, r)!.ref!);
    const region = this.stack.region;
    const tls = this.ca.amazon.issue([`*.s3.${region}.amazonaws.com`, `s3.${region}.amazonaws.com`]);
    const sesHost = `email-smtp.${region}.amazonaws.com`;
    const config = {
      region,
      dataDir: '/twin/s3',
      tls,
      ses: this.sesConfig(sesHost),
      credentials: { ...this.credentials, roleArn: `arn:aws:iam::${this.stack.account}:role/twin-task-role` },
      // Task metadata v4 names the cluster by its ARN.
      metadata: {
        id: 'any',
        task: { Cluster: `arn:aws:ecs:${region}:${this.stack.account}:cluster/${this.ecsClusterName()}`, AvailabilityZone: `${region}a` },
      },
    };
    const bundle = await bundleStandIn(this.hostDir);
    const name = this.session.name('aws');
    const container = await this.docker.createContainer({
      name,
      Image: this.images.node,
      Labels: this.session.labels,
      Entrypoint: ['node', '/twin/server.mjs', '/twin/config.json'],
      HostConfig: { NetworkMode: this.net.vpc },
      NetworkingConfig: { EndpointsConfig: { [this.net.vpc]: { Aliases: [...buckets.map((b) => `${b}.s3.${region}.amazonaws.com`), sesHost] } } },
    });
    await putFiles(container, '/twin', [
      { path: 'server.mjs', content: readFileSync(bundle) },
      { path: 'config.json', content: JSON.stringify(config) },
      ...[...this.bucketFiles].flatMap(([bucket, files]) => files.map((f) => ({ path: `s3/${bucket}/${f.key}`, content: f.content }))),
    ]);
    await this.docker.getNetwork(this.net.endpoints).connect({ Container: container.id, EndpointConfig: { IPAMConfig: { IPv4Address: '169.254.170.2' } } });
    await container.start();
    this.aws = new StartedContainer(container, name);
    await this.aws.waitForLog(/"started":true/, 30_000);
  }

  /** SES as the stack sets it up: the identity's domain, the SMTP user's access keys (what IAM knows). */
  private sesConfig(host: string) {
    const identities = resourcesOf(this.world.template, 'AWS::SES::EmailIdentity');
    if (!identities.length) return undefined;
    const [[, identity]] = identities as [[string, TemplateResource]];
    return {
      domain: String(identity.Properties!.EmailIdentity).toLowerCase(),
      accessKeys: resourcesOf(this.world.template, 'AWS::IAM::AccessKey').map(([id, r]) => {
        const s = this.world.standIn(id, r)!;
        return { id: s.ref!, secret: s.attributes!.SecretAccessKey! };
      }),
      tls: this.ca.amazon.issue([host]),
    };
  }

  private ecsClusterName(): string {
    const [, cluster] = onlyResource(this.world.template, 'AWS::ECS::Cluster');
    return String(cluster.Properties?.ClusterName ?? this.stack.stackName);
  }

  /** Replaces (or adds) an object in the S3 stand-in, as a later upload would. */
  async putObject(bucket: string, key: string, content: string | Buffer): Promise<void> {
    await putFiles(this.aws.container, `/twin/s3/${bucket}`, [{ path: key, content }]);
  }

  /** The stand-in's request log (one JSON object a line). */
  async awsLog(): Promise<Array<Record<string, unknown>>> {
    const { stdout } = await this.aws.logs();
    return stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  // ---- tasks -----------------------------------------------------------------------------------
  /** Starts a task of `mode` as ECS would on `launchType`. */
  async runTask(
    mode: ImageMode,
    launchType: LaunchType,
    opts: { command?: readonly string[]; role?: string; image?: string; ip?: string } = {},
  ): Promise<TwinTask> {
    const [, td] = taskDefinition(this.world.template, mode);
    const ip = opts.ip ?? `${this.vpcPrefix}.1.${this.nextTaskIp++}`;
    const name = this.session.name(opts.role ?? `${mode}-${launchType}-${this.nextTaskIp}`);
    const volumes: Record<string, string> = {};
    for (const v of (td.Properties!.Volumes ?? []) as Array<{ Name: string }>) volumes[v.Name] = await this.volume(v.Name);
    const create = containerCreateOptions({
      world: this.world,
      taskDefinition: td,
      image: opts.image ?? this.images.runtime,
      name,
      labels: this.session.labels,
      platform: { launchType, taskId: randomBytes(16).toString('hex'), credentialsRelativeUri: this.credentials.relativeUri },
      network: { vpc: this.net.vpc, ip, endpoints: this.net.endpoints },
      volumes,
      binds: this.trustBinds,
      command: opts.command,
    });
    const container = await this.docker.createContainer(create);
    await this.docker.getNetwork(this.net.endpoints).connect({ Container: container.id });
    await container.start();
    const task: TwinTask = { name, mode, launchType, ip, container: new StartedContainer(container, name) };
    this.tasks.push(task);
    return task;
  }

  /** Stops a task as ECS does (SIGTERM, then the stop timeout) and removes its container. */
  async stopTask(task: TwinTask): Promise<void> {
    await task.container.container.stop({ t: 35 }).catch(() => undefined);
    await task.container.container.remove({ force: true });
    this.tasks.splice(this.tasks.indexOf(task), 1);
  }

  private readonly volumes = new Map<string, string>();
  private async volume(taskVolume: string): Promise<string> {
    if (!this.volumes.has(taskVolume)) {
      const name = this.session.name(`efs-${taskVolume}`);
      await this.docker.createVolume({ Name: name, Labels: this.session.labels });
      this.volumes.set(taskVolume, name);
    }
    return this.volumes.get(taskVolume)!;
  }

  // ---- entry -----------------------------------------------------------------------------------
  /** Starts the ALB (and CloudFront, when the stack has a distribution) in front of `targets`. */
  async startEntry(targets: readonly TwinTask[]): Promise<void> {
    const haproxyUid = SERVICE_UIDS.haproxy;
    const albName = this.session.name('alb');
    const albIp = INTERNET_SUBNET.replace(/0\/24$/, '10');
    const cf = this.edge.cloudFront;
    const alb = await this.docker.createContainer({
      name: albName,
      Image: this.images.haproxy,
      Labels: this.session.labels,
      ExposedPorts: cf ? {} : { '80/tcp': {} },
      HostConfig: { NetworkMode: this.net.internet, PortBindings: cf ? {} : { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      NetworkingConfig: { EndpointsConfig: { [this.net.internet]: { IPAMConfig: { IPv4Address: albIp } } } },
    });
    await putFiles(alb, '/etc/haproxy', [
      {
        path: 'haproxy.cfg',
        content: albConfig(this.edge, Object.fromEntries(targets.map((t) => [t.name.replace(/^.*-(web-)/, '$1'), t.ip]))),
        mode: 0o600,
        uid: haproxyUid,
      },
    ]);
    await this.docker.getNetwork(this.net.vpc).connect({ Container: alb.id, EndpointConfig: { IPAMConfig: { IPv4Address: `${this.vpcPrefix}.0.10` } } });
    await alb.start();
    this.alb = new StartedContainer(alb, albName);
    if (!cf) {
      this.viewerPort = await this.alb.hostPort(80);
      return;
    }
    const cfName = this.session.name('cloudfront');
    const site = this.ca.amazon.issue([cf.domain]);
    const cfc = await this.docker.createContainer({
      name: cfName,
      Image: this.images.haproxy,
      Labels: this.session.labels,
      ExposedPorts: { '8443/tcp': {} },
      HostConfig: { NetworkMode: this.net.internet, PortBindings: { '8443/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await putFiles(cfc, '/etc/haproxy', [
      { path: 'haproxy.cfg', content: cloudFrontConfig(this.edge, albIp), mode: 0o600, uid: haproxyUid },
      { path: 'site.pem', content: `${site.cert}${site.key}`, mode: 0o600, uid: haproxyUid },
    ]);
    await cfc.start();
    this.cloudFront = new StartedContainer(cfc, cfName);
    this.viewerPort = await this.cloudFront.hostPort(8443);
  }

  /** The site's public host name (what viewers ask for). */
  get domain(): string {
    return this.edge.cloudFront?.domain ?? new URL(this.environment('web').MOODLE_WWWROOT!).host;
  }

  /** The environment a mode's task definition gives (without secrets and without what ECS adds). */
  environment(mode: ImageMode): Record<string, string> {
    const [, td] = taskDefinition(this.world.template, mode);
    const c = (td.Properties!.ContainerDefinitions as Array<Record<string, any>>)[0]!;
    return Object.fromEntries((c.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, this.world.intrinsics.string(e.Value, e.Name)]));
  }

  async cleanup(): Promise<void> {
    await this.session.cleanup();
  }
}

/** Like Promise.all, but waits for every promise before rejecting, so nothing is still being created when a caller cleans up. */
async function settleAll(work: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p, base) : [relative(base, p).split(sep).join('/')];
  });
}

/** The AWS stand-in's server, bundled into one file for Debian's Node.js. */
async function bundleStandIn(outDir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const out = join(outDir, 'aws-standin.mjs');
  await withTimeout(
    esbuild.build({
      entryPoints: [join(import.meta.dirname, 'aws-standin', 'server.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      target: 'node18',
      format: 'esm',
      logLevel: 'silent',
      banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    }),
    60_000,
    'bundle the AWS stand-in',
  );
  return out;
}
