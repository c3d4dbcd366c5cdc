// CloudFront in front of the ALB: HTTPS only, the viewer's Host header and cookies passed through
// (Moodle checks wwwroot), nothing cached except Moodle's revisioned static scripts (theme images,
// CSS, JS, fonts), which carry long Cache-Control headers of their own. Every origin request
// carries the origin secret header the ALB requires.
import { Duration } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ORIGIN_SECRET_HEADER } from '../loadbalancer/load-balancer.ts';
import { acknowledge } from '../nag.ts';

/** Moodle's static scripts: their URLs carry a revision, so caching them cannot serve stale files. */
export const STATIC_PATHS = [
  '/theme/image.php/*',
  '/theme/styles.php/*',
  '/theme/javascript.php/*',
  '/theme/font.php/*',
  '/theme/yui_combo.php*',
  '/theme/yui_image.php/*',
  '/lib/javascript.php/*',
  '/lib/requirejs.php/*',
] as const;

export interface EdgeDistributionProps {
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly domain: string;
  /** A us-east-1 certificate for the domain. */
  readonly certificate: acm.ICertificate;
  /** ARN of a CLOUDFRONT-scope web ACL (us-east-1). */
  readonly webAclArn: string;
  /** Value of the origin secret header (a Secrets Manager dynamic reference). */
  readonly originSecret: string;
  readonly logBucket: s3.IBucket;
  /** @default "100" */
  readonly priceClass?: '100' | '200' | 'all';
  /** How long CloudFront waits for the load balancer's answer (src/contract/timeouts.ts). @default Duration.seconds(60) */
  readonly originReadTimeout?: Duration;
  /** How long CloudFront keeps an idle connection to the load balancer; shorter than its idle timeout. @default Duration.seconds(30) */
  readonly originKeepaliveTimeout?: Duration;
  /** vpc: the load balancer is internal, reached through a CloudFront VPC origin; public: over the internet. @default "vpc" */
  readonly origin?: 'vpc' | 'public';
}

export class EdgeDistribution extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: EdgeDistributionProps) {
    super(scope, id);
    const originProps = {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      // Kept with a VPC origin too: a second lock besides the load balancer being internal.
      customHeaders: { [ORIGIN_SECRET_HEADER]: props.originSecret },
      readTimeout: props.originReadTimeout ?? Duration.seconds(60),
      keepaliveTimeout: props.originKeepaliveTimeout ?? Duration.seconds(30),
    };
    const origin =
      (props.origin ?? 'vpc') === 'vpc'
        ? origins.VpcOrigin.withApplicationLoadBalancer(props.loadBalancer, originProps)
        : new origins.LoadBalancerV2Origin(props.loadBalancer, originProps);
    const staticCache = new cloudfront.CachePolicy(this, 'StaticCache', {
      comment: 'Moodle revisioned static files: keyed on path and query, no cookies, origin TTLs',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.days(1),
      maxTtl: Duration.days(365),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const staticRequest = new cloudfront.OriginRequestPolicy(this, 'StaticRequest', {
      comment: 'Moodle static files: Host for wwwroot, no cookies',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList('Host'),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    const staticBehavior: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: staticCache,
      originRequestPolicy: staticRequest,
      compress: true,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Moodle ${props.domain}`,
      domainNames: [props.domain],
      certificate: props.certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: { '100': cloudfront.PriceClass.PRICE_CLASS_100, '200': cloudfront.PriceClass.PRICE_CLASS_200, all: cloudfront.PriceClass.PRICE_CLASS_ALL }[
        props.priceClass ?? '100'
      ],
      webAclId: props.webAclArn,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // All viewer headers and CloudFront's own, among them CloudFront-Viewer-Address: the web
        // tier takes the viewer's address from it (MOODLE_CLIENT_IP_HEADER).
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_AND_CLOUDFRONT_2022,
        compress: true,
      },
      additionalBehaviors: Object.fromEntries(STATIC_PATHS.map((p) => [p, staticBehavior])),
    });
    acknowledge(
      this.distribution,
      'CFR1',
      'No geo restriction: a learning site serves students wherever they are; abuse is handled by WAF rules and the rate limit.',
    );
  }
}
