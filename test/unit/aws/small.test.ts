// The small profile (2 AZs, one NAT, Fargate, Serverless v2 at its minimum, one web task, one
// cache node) with CloudFront off (WAF on the ALB), an imported certificate, an image built from a
// build-context folder and a config bundle uploaded at deploy.
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { build, CERT_ARN, only, resources, SMALL, tinyBundleDir } from './fixtures.ts';

const { built, main } = build(SMALL, { configBundle: tinyBundleDir() });

describe('small profile', () => {
  test('only the main stack: no us-east-1 edge stack, no pipeline', () => {
    assert.equal(built.edge, undefined);
    assert.equal(built.pipeline, undefined);
    main.resourceCountIs('AWS::CodeStarNotifications::NotificationRule', 0);
    assert.deepEqual(
      built.app.node.children.filter((c) => Stack.isStack(c)).map((s) => s.node.id),
      ['tiny'],
    );
  });
  test('2 AZs and a single NAT gateway', () => {
    main.resourceCountIs('AWS::EC2::Subnet', 6);
    main.resourceCountIs('AWS::EC2::NatGateway', 1);
  });
  test('Aurora Serverless v2 at 0.5 ACU, a writer only, no deletion protection but a final snapshot', () => {
    main.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 },
      DeletionProtection: false,
      StorageEncrypted: true,
    });
    main.resourceCountIs('AWS::RDS::DBInstance', 1);
    main.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' });
    assert.equal(only(resources(main, 'AWS::RDS::DBCluster'))[1].DeletionPolicy, 'Snapshot');
  });
  test('one cache node, still TLS and AUTH', () => {
    main.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumCacheClusters: 1,
      MultiAZEnabled: false,
      AutomaticFailoverEnabled: false,
      TransitEncryptionEnabled: true,
      AuthToken: Match.anyValue(),
    });
  });
  test('one web task, scaling up to the spec maximum', () => {
    main.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 4 });
    main.hasResourceProperties('AWS::ECS::Service', { DesiredCount: Match.absent(), LoadBalancers: Match.anyValue() });
  });
});

describe('Fargate', () => {
  test('no Auto Scaling group; the cluster uses the FARGATE capacity provider', () => {
    main.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0);
    main.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE']),
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    });
  });
  test('task definitions are Fargate, 0.5 vCPU, x86-64; web 2 GiB (every worker at its limit fits), cron and migrate 1 GiB', () => {
    for (const td of Object.values(resources(main, 'AWS::ECS::TaskDefinition'))) {
      assert.deepEqual(td.Properties.RequiresCompatibilities, ['FARGATE']);
      assert.equal(td.Properties.Cpu, '512');
      assert.equal(td.Properties.Memory, String(td.Properties.Family).endsWith('-web') ? '2048' : '1024');
      assert.equal(td.Properties.RuntimePlatform.CpuArchitecture, 'X86_64');
    }
  });
  test('services and the migrate run use FARGATE', () => {
    for (const s of Object.values(resources(main, 'AWS::ECS::Service')))
      assert.deepEqual(s.Properties.CapacityProviderStrategy, [{ CapacityProvider: 'FARGATE', Weight: 1 }]);
    main.hasResourceProperties('Custom::MoodleMigrate', { CapacityProviderStrategy: Match.stringLikeRegexp('"capacityProvider":"FARGATE"') });
  });
});

describe('without CloudFront', () => {
  test('no distribution; the ALB answers HTTPS (and HTTP to redirect) from anywhere', () => {
    main.resourceCountIs('AWS::CloudFront::Distribution', 0);
    const albIngress = Object.values(resources(main, 'AWS::EC2::SecurityGroupIngress')).filter((r) =>
      JSON.stringify(r.Properties.GroupId).includes('LoadBalancer'),
    );
    const inline =
      only(Object.fromEntries(Object.entries(resources(main, 'AWS::EC2::SecurityGroup')).filter(([k]) => k.startsWith('LoadBalancer'))))[1].Properties
        .SecurityGroupIngress ?? [];
    const rules = [...albIngress.map((r) => r.Properties), ...inline].map((r: any) => `${r.CidrIp ?? r.CidrIpv6}:${r.FromPort}`).sort();
    assert.deepEqual(rules, ['0.0.0.0/0:443', '0.0.0.0/0:80']);
  });
  test('the ALB is IPv4 only: the VPC has no IPv6 range, and a dual-stack ALB could not be created in it', () => {
    main.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { IpAddressType: 'ipv4' });
    main.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.60.0.0/16' });
    main.resourceCountIs('AWS::EC2::VPCCidrBlock', 0);
  });
  test('a REGIONAL web ACL with the same rules sits on the ALB', () => {
    const [aclId, acl] = only(resources(main, 'AWS::WAFv2::WebACL'));
    assert.equal(acl.Properties.Scope, 'REGIONAL');
    assert.equal(acl.Properties.Rules.find((r: any) => r.Statement.RateBasedStatement).Statement.RateBasedStatement.Limit, 2000);
    main.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: Match.stringLikeRegexp('^LoadBalancerAlb') },
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
    });
  });
  test('the HTTPS listener forwards to the web tasks with the imported certificate', () => {
    main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Certificates: [{ CertificateArn: CERT_ARN }],
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    main.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    main.resourceCountIs('AWS::CertificateManager::Certificate', 0);
  });
  test('no DNS records without a hosted zone', () => {
    main.resourceCountIs('AWS::Route53::RecordSet', 0);
  });
  test('with a hosted zone: an A alias to the ALB and no AAAA record (the ALB has no IPv6 address)', () => {
    const { main: direct } = build({
      name: 'direct',
      aws: { ...SMALL.aws, certificateArn: undefined, hostedZone: { id: 'Z0123456789ABC', name: 'example.edu' } },
    });
    // The site's own records (the zone also gets the mail identity's DKIM and MAIL FROM records).
    const records = Object.values(resources(direct, 'AWS::Route53::RecordSet'))
      .map((r) => r.Properties)
      .filter((r) => r.Name === 'moodle.example.edu.');
    assert.deepEqual(
      records.map((r) => r.Type),
      ['A'],
    );
    assert.match(JSON.stringify(records[0]!.AliasTarget.DNSName), /LoadBalancerAlb/);
  });
});

describe('image and config bundle', () => {
  test('the image is a CDK asset built from the build-context folder', () => {
    const web = Object.values(resources(main, 'AWS::ECS::TaskDefinition')).find((d) => d.Properties.Family === 'tiny-web')!;
    assert.match(JSON.stringify(web.Properties.ContainerDefinitions[0].Image), /cdk-hnb659fds-container-assets/);
  });
  test('the asset is built with the same build arguments as the local build', () => {
    const manifest = JSON.parse(readFileSync(join(built.app.outdir, 'tiny.assets.json'), 'utf8'));
    const images = Object.values(manifest.dockerImages) as Array<{ source: { dockerBuildArgs?: Record<string, string> } }>;
    assert.equal(images.length, 1);
    assert.deepEqual(images[0]!.source.dockerBuildArgs, { APP_UID: '33', APP_GID: '33', WEBROOT: '' });
  });
  test('the config bundle folder is uploaded under bundle/<digest>/ of the config bucket, older bundles kept', () => {
    main.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: Match.stringLikeRegexp('^ConfigBucket') },
      DestinationBucketKeyPrefix: Match.stringLikeRegexp('^bundle/[0-9a-f]{64}/$'),
      Prune: false,
    });
  });
});
