// The Application Load Balancer: HTTPS with an ACM certificate and a modern TLS policy, HTTP
// redirected to HTTPS, a target group checking the image's shallow health path, deregistration
// delay from the spec (not AWS's 300 s), access logs to S3. Behind CloudFront, only CloudFront's
// address ranges reach it and only requests with the origin secret header are forwarded.
// IPv4 only: the VPC has no IPv6 CIDR, and a dual-stack ALB needs subnets with IPv6 ranges (its
// creation fails without them). Viewers still reach the site over IPv6 through CloudFront.
import { Duration } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RUNTIME_IMAGE } from '../../contract/image.ts';
import { IMAGE_TIMEOUTS } from '../../contract/timeouts.ts';
import { acknowledge } from '../nag.ts';

/** Header CloudFront adds to every origin request; its value is a Secrets Manager secret. */
export const ORIGIN_SECRET_HEADER = 'X-Origin-Verify';

export interface LoadBalancerProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly certificate: acm.ICertificate;
  readonly accessLogs: s3.IBucket;
  /** Time a deregistering task keeps its in-flight requests. @default Duration.seconds(30) */
  readonly deregistrationDelay?: Duration;
  /** Idle timeout of client and target connections; shorter than the web containers' keep-alive (src/contract/timeouts.ts). @default Duration.seconds(60) */
  readonly idleTimeout?: Duration;
  /**
   * Only CloudFront may reach the load balancer, and only requests with the secret value of the
   * ORIGIN_SECRET_HEADER are forwarded. `vpc`: a CloudFront VPC origin reaches an internal load
   * balancer (in `subnets`, private) from the VPC's range `vpcCidr`; `public`: an internet-facing
   * load balancer admits CloudFront's origin-facing prefix list only. @default - open to the internet (no CloudFront)
   */
  readonly cloudFront?:
    | { readonly origin: 'vpc'; readonly vpcCidr: string; readonly originSecret: string }
    | { readonly origin: 'public'; readonly prefixListId: string; readonly originSecret: string };
  /** Refuse deletion of the load balancer. @default false */
  readonly deletionProtection?: boolean;
}

export class LoadBalancer extends Construct implements ec2.IConnectable {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly httpsListener: elbv2.ApplicationListener;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: !props.cloudFront
        ? 'ALB: HTTP and HTTPS from the internet (IPv4)'
        : props.cloudFront.origin === 'vpc'
          ? 'Internal ALB: HTTPS from CloudFront VPC origin (inside the VPC)'
          : 'ALB: HTTPS from CloudFront origin-facing addresses only',
      allowAllOutbound: false,
    });
    const internal = props.cloudFront?.origin === 'vpc';
    if (props.cloudFront?.origin === 'vpc') {
      // CloudFront reaches a VPC origin through network interfaces it places in the VPC, so from
      // the VPC's range (its service security group is created with the VPC origin, too late to
      // reference here); nothing outside the VPC can reach an internal load balancer.
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(props.cloudFront.vpcCidr), ec2.Port.tcp(443), 'HTTPS from CloudFront VPC origin');
    } else if (props.cloudFront) {
      // The prefix list weighs about 55 rules of the 60 a group allows: one rule (443) only.
      this.securityGroup.addIngressRule(ec2.Peer.prefixList(props.cloudFront.prefixListId), ec2.Port.tcp(443), 'HTTPS from CloudFront');
    } else {
      this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from the internet');
      this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from the internet, redirected to HTTPS');
      acknowledge(
        this.securityGroup,
        'EC23',
        'Without CloudFront the load balancer is the public entry point of the site: HTTPS (and HTTP, redirected) from anywhere, filtered by the regional AWS WAF web ACL.',
      );
    }
    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      internetFacing: !internal,
      ipAddressType: elbv2.IpAddressType.IPV4,
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
      idleTimeout: props.idleTimeout ?? Duration.seconds(60),
      deletionProtection: props.deletionProtection ?? false,
    });
    this.connections = this.alb.connections;
    this.alb.logAccessLogs(props.accessLogs, 'alb');

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Web', {
      vpc: props.vpc,
      port: RUNTIME_IMAGE.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: props.deregistrationDelay ?? Duration.seconds(30),
      healthCheck: {
        path: RUNTIME_IMAGE.healthPath,
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(IMAGE_TIMEOUTS.healthAnswer),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    this.httpsListener = this.alb.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [props.certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
      defaultAction: props.cloudFront
        ? elbv2.ListenerAction.fixedResponse(403, { contentType: 'text/plain', messageBody: 'Direct access is not allowed.' })
        : elbv2.ListenerAction.forward([this.targetGroup]),
    });
    if (props.cloudFront) {
      this.httpsListener.addAction('FromCloudFront', {
        priority: 10,
        conditions: [elbv2.ListenerCondition.httpHeader(ORIGIN_SECRET_HEADER, [props.cloudFront.originSecret])],
        action: elbv2.ListenerAction.forward([this.targetGroup]),
      });
    }
    if (!internal) {
      this.alb.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    }
  }
}
