// Network, load balancer and edge of the production configuration: multi-AZ subnets and NAT
// gateways, flow logs, the S3 endpoint; the ALB's TLS, redirect, health check and access logs;
// CloudFront and WAF with their us-east-1 certificate and web ACL; DNS.
import { Match } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MANAGED_RULE_GROUPS, RATE_LIMIT_RULES } from '../../../src/aws/edge/waf-rules.ts';
import { STATIC_PATHS } from '../../../src/aws/edge/distribution.ts';
import { build, only, PRODUCTION, resources } from './fixtures.ts';

const { built, main, edge, edgeMonitoring } = build(PRODUCTION, { image: { tag: 'release-1' } });
/** The same with aws.edge.origin: public (an internet-facing ALB restricted to CloudFront). */
const publicOrigin = build({ ...PRODUCTION, aws: { ...PRODUCTION.aws, edge: { origin: 'public' } } }, { image: { tag: 'release-1' } }).main;
const az = (i: number) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] });

describe('network', () => {
  test('public, app and data subnets in each of 3 AZs', () => {
    main.resourceCountIs('AWS::EC2::Subnet', 9);
    for (const i of [0, 1, 2]) {
      for (const name of ['public', 'app', 'data']) {
        main.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: az(i), Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: name }]) });
      }
    }
  });
  test('an internet gateway and one NAT gateway per AZ, each in its public subnet', () => {
    main.resourceCountIs('AWS::EC2::InternetGateway', 1);
    main.resourceCountIs('AWS::EC2::NatGateway', 3);
    const subnets = new Set(Object.values(resources(main, 'AWS::EC2::NatGateway')).map((n) => JSON.stringify(n.Properties.SubnetId)));
    assert.equal(subnets.size, 3);
  });
  test('VPC flow logs of all traffic to CloudWatch Logs', () => {
    main.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
  });
  test('a gateway endpoint for S3', () => {
    main.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
    });
  });
  test('zones come from Fn::GetAZs, never from a lookup (offline synth)', () => {
    assert.deepEqual(
      built.main!.availabilityZones.map((z) => built.main!.resolve(z)),
      [az(0), az(1), az(2)],
    );
  });
});

describe('load balancer', () => {
  test('behind a CloudFront VPC origin: an internal ALB in the 3 private app subnets, invalid headers dropped, access logs to S3', () => {
    const [, alb] = only(resources(main, 'AWS::ElasticLoadBalancingV2::LoadBalancer'));
    assert.equal(alb.Properties.Scheme, 'internal');
    assert.equal(alb.Properties.Subnets.length, 3);
    for (const s of alb.Properties.Subnets) assert.match(s.Ref, /appSubnet/);
    const attrs = Object.fromEntries(alb.Properties.LoadBalancerAttributes.map((a: { Key: string; Value: string }) => [a.Key, a.Value]));
    assert.equal(attrs['access_logs.s3.enabled'], 'true');
    assert.equal(attrs['routing.http.drop_invalid_header_fields.enabled'], 'true');
    assert.equal(attrs['deletion_protection.enabled'], 'true');
  });
  test('HTTPS listener with the ACM certificate and a TLS 1.3/1.2 policy', () => {
    main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp('^Certificate') } }],
    });
  });
  test('an internal ALB has no HTTP listener (CloudFront speaks HTTPS to it)', () => {
    assert.ok(!Object.values(resources(main, 'AWS::ElasticLoadBalancingV2::Listener')).some((l) => l.Properties.Port === 80));
  });
  test('origin: public: an internet-facing ALB in the public subnets; HTTP redirects to HTTPS permanently', () => {
    const [, alb] = only(resources(publicOrigin, 'AWS::ElasticLoadBalancingV2::LoadBalancer'));
    assert.equal(alb.Properties.Scheme, 'internet-facing');
    for (const s of alb.Properties.Subnets) assert.match(s.Ref, /publicSubnet/);
    publicOrigin.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
  });
  test('target group: port 8080, health check on /healthz, deregistration delay from the spec (45s)', () => {
    main.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      TargetType: 'ip',
      HealthCheckPath: '/healthz',
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '45' }]),
    });
  });
  test('behind CloudFront: direct requests get 403, only the origin secret header is forwarded', () => {
    main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      DefaultActions: [Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '403' }) })],
    });
    main.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [
        {
          Field: 'http-header',
          HttpHeaderConfig: {
            HttpHeaderName: 'X-Origin-Verify',
            Values: [Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['{{resolve:secretsmanager:'])]) })],
          },
        },
      ],
      Actions: [Match.objectLike({ Type: 'forward' })],
    });
  });
  test("the internal ALB's only inbound rule is HTTPS from the VPC (CloudFront's VPC origin interfaces); no prefix-list lookup", () => {
    const [albSg, sg] = only(Object.fromEntries(Object.entries(resources(main, 'AWS::EC2::SecurityGroup')).filter(([k]) => k.startsWith('LoadBalancer'))));
    assert.equal(sg.Properties.SecurityGroupIngress.length, 1);
    assert.equal(sg.Properties.SecurityGroupIngress[0].FromPort, 443);
    assert.equal(sg.Properties.SecurityGroupIngress[0].CidrIp, '10.60.0.0/16'); // the VPC's range
    assert.equal(
      Object.values(resources(main, 'AWS::EC2::SecurityGroupIngress')).filter((r) => JSON.stringify(r.Properties.GroupId).includes(albSg)).length,
      0,
    );
    assert.ok(!Object.keys(resources(main, 'Custom::AWS')).some((k) => k.startsWith('CloudFrontAddresses')));
  });
  test("origin: public: the ALB's only inbound rule is HTTPS from CloudFront's origin-facing prefix list", () => {
    const [albSg] = only(Object.fromEntries(Object.entries(resources(publicOrigin, 'AWS::EC2::SecurityGroup')).filter(([k]) => k.startsWith('LoadBalancer'))));
    const ingress = Object.values(resources(publicOrigin, 'AWS::EC2::SecurityGroupIngress')).filter((r) =>
      JSON.stringify(r.Properties.GroupId).includes(albSg),
    );
    assert.equal(ingress.length, 1);
    assert.equal(ingress[0]!.Properties.FromPort, 443);
    const lookup = Object.keys(resources(publicOrigin, 'Custom::AWS')).find((k) => k.startsWith('CloudFrontAddresses'));
    assert.deepEqual(ingress[0]!.Properties.SourcePrefixListId, { 'Fn::GetAtt': [lookup, 'PrefixLists.0.PrefixListId'] });
    publicOrigin.hasResourceProperties('Custom::AWS', { Create: Match.stringLikeRegexp('com\\.amazonaws\\.global\\.cloudfront\\.origin-facing') });
  });
});

describe('edge: us-east-1 stack', () => {
  test('is deployed to us-east-1 and before the main stack', () => {
    assert.equal(built.edge!.region, 'us-east-1');
    assert.ok(built.main!.dependencies.includes(built.edge!));
  });
  test('a DNS-validated certificate for the domain', () => {
    edge!.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'moodle.example.edu',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'moodle.example.edu', HostedZoneId: 'Z0123456789ABC' }],
    });
  });
  test('a CLOUDFRONT web ACL with the managed rule groups and a per-IP rate limit that skips static files', () => {
    const [, acl] = only(resources(edge!, 'AWS::WAFv2::WebACL'));
    assert.equal(acl.Properties.Scope, 'CLOUDFRONT');
    const groups = acl.Properties.Rules.filter((r: any) => r.Statement.ManagedRuleGroupStatement).map((r: any) => r.Statement.ManagedRuleGroupStatement.Name);
    assert.deepEqual(groups, [...MANAGED_RULE_GROUPS]);
    const rate = acl.Properties.Rules.filter((r: any) => r.Statement.RateBasedStatement);
    assert.equal(rate.length, 1);
    assert.deepEqual(rate[0].Statement.RateBasedStatement, {
      Limit: 3000,
      AggregateKeyType: 'IP',
      EvaluationWindowSec: 300,
      ScopeDownStatement: { NotStatement: { Statement: { LabelMatchStatement: { Key: 'moodle-ha:static-file', Scope: 'LABEL' } } } },
    });
    assert.deepEqual(rate[0].Action, { Block: {} });
  });
  test('without aws.edge.campusRanges: no campus IP set and no campus rules', () => {
    edge!.resourceCountIs('AWS::WAFv2::IPSet', 0);
    const [, acl] = only(resources(edge!, 'AWS::WAFv2::WebACL'));
    assert.ok(!acl.Properties.Rules.some((r: any) => r.Name === RATE_LIMIT_RULES.campus || r.Name === 'MoodleCampus'));
  });
  test('WAF logs in us-east-1, next to the web ACL', () => {
    edge!.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
    edge!.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', [Match.stringLikeRegexp('^aws-waf-logs-campus-edge-$'), Match.anyValue()]] },
    });
  });
  test('the main stack reads the certificate and web ACL through cross-region SSM exports', () => {
    main.resourceCountIs('Custom::CrossRegionExportReader', 1);
    const [, dist] = only(resources(main, 'AWS::CloudFront::Distribution'));
    const cfg = dist.Properties.DistributionConfig;
    assert.match(JSON.stringify(cfg.WebACLId), /ExportsReader/);
    assert.match(JSON.stringify(cfg.ViewerCertificate.AcmCertificateArn), /ExportsReader/);
  });
});

describe('CloudFront', () => {
  const [, dist] = only(resources(main, 'AWS::CloudFront::Distribution'));
  const cfg = dist.Properties.DistributionConfig;
  test('serves the domain over modern TLS only, with logging', () => {
    assert.deepEqual(cfg.Aliases, ['moodle.example.edu']);
    assert.equal(cfg.ViewerCertificate.MinimumProtocolVersion, 'TLSv1.2_2021');
    assert.equal(cfg.ViewerCertificate.SslSupportMethod, 'sni-only');
    assert.ok(cfg.Logging.Bucket);
  });
  test('the ALB is a CloudFront VPC origin, HTTPS only (TLS 1.2), and requests still carry the origin secret header', () => {
    const origin = cfg.Origins[0];
    assert.equal(origin.CustomOriginConfig, undefined);
    assert.match(JSON.stringify(origin.VpcOriginConfig.VpcOriginId), /VpcOrigin/);
    main.hasResourceProperties('AWS::CloudFront::VpcOrigin', {
      VpcOriginEndpointConfig: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^LoadBalancerAlb') },
        OriginProtocolPolicy: 'https-only',
        OriginSSLProtocols: ['TLSv1.2'],
      }),
    });
    assert.equal(origin.OriginCustomHeaders[0].HeaderName, 'X-Origin-Verify');
    assert.match(JSON.stringify(origin.OriginCustomHeaders[0].HeaderValue), /resolve:secretsmanager/);
  });
  test('the default behaviour caches nothing and passes the viewer request through', () => {
    assert.equal(cfg.DefaultCacheBehavior.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // Managed-CachingDisabled
    assert.equal(cfg.DefaultCacheBehavior.OriginRequestPolicyId, '33f36d7e-f396-46d9-90e0-52428a34d9dc'); // Managed-AllViewerAndCloudFrontHeaders-2022-06: CloudFront-Viewer-Address
    assert.equal(cfg.DefaultCacheBehavior.ViewerProtocolPolicy, 'redirect-to-https');
  });
  test("only Moodle's revisioned static paths are cached", () => {
    assert.deepEqual(
      cfg.CacheBehaviors.map((b: any) => b.PathPattern),
      [...STATIC_PATHS],
    );
    for (const b of cfg.CacheBehaviors) assert.notEqual(b.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    main.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({ CookiesConfig: { CookieBehavior: 'none' } }) }),
    });
  });
});

describe('CloudFront 5xx alarm: a us-east-1 stack after the main one', () => {
  const t = edgeMonitoring!;
  test('is deployed to us-east-1, after the main stack', () => {
    assert.equal(built.edgeMonitoring!.region, 'us-east-1');
    assert.equal(built.edgeMonitoring!.stackName, 'campus-edge-monitoring');
    assert.ok(built.edgeMonitoring!.dependencies.includes(built.main!));
  });
  test("alarms on the distribution's 5xxErrorRate (Region Global) above 5 % for 2 five-minute periods", () => {
    const [, alarm] = only(resources(t, 'AWS::CloudWatch::Alarm'));
    const a = alarm.Properties;
    assert.equal(a.Namespace, 'AWS/CloudFront');
    assert.equal(a.MetricName, '5xxErrorRate');
    assert.equal(a.Statistic, 'Average');
    assert.equal(a.Period, 300);
    assert.equal(a.Threshold, 5);
    assert.equal(a.EvaluationPeriods, 2);
    assert.equal(a.DatapointsToAlarm, 2);
    assert.equal(a.TreatMissingData, 'notBreaching');
    assert.deepEqual(
      a.Dimensions.find((d: any) => d.Name === 'Region'),
      { Name: 'Region', Value: 'Global' },
    );
    assert.match(JSON.stringify(a.Dimensions.find((d: any) => d.Name === 'DistributionId').Value), /ExportsReader.*EdgeDistribution/);
  });
  test('notifies its own encrypted us-east-1 topic, subscribed to the alarm e-mail', () => {
    const [topicId, topic] = only(resources(t, 'AWS::SNS::Topic'));
    assert.ok(topic.Properties.KmsMasterKeyId);
    const [, alarm] = only(resources(t, 'AWS::CloudWatch::Alarm'));
    assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topicId }]);
    assert.deepEqual(alarm.Properties.OKActions, [{ Ref: topicId }]);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.edu', TopicArn: { Ref: topicId } });
  });
  test('the main stack writes the distribution id to us-east-1 for it (crossRegionReferences)', () => {
    main.hasResourceProperties('Custom::CrossRegionExportWriter', { WriterProps: { region: 'us-east-1', exports: Match.objectLike({}) } });
    const [, writer] = only(resources(main, 'Custom::CrossRegionExportWriter'));
    assert.deepEqual(Object.values(writer.Properties.WriterProps.exports), [{ Ref: only(resources(main, 'AWS::CloudFront::Distribution'))[0] }]);
  });
});

describe('DNS', () => {
  test('A and AAAA aliases of the domain point at CloudFront', () => {
    for (const type of ['A', 'AAAA']) {
      main.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'moodle.example.edu.',
        Type: type,
        HostedZoneId: 'Z0123456789ABC',
        AliasTarget: Match.objectLike({ DNSName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EdgeDistribution'), 'DomainName'] } }),
      });
    }
  });
});
