// The entry in front of the web tasks, stood in by two HAProxy processes configured from the
// template as CloudFront and the ALB behave:
//  - "CloudFront" (when the stack has a distribution): terminates the viewer's TLS, appends the
//    viewer's address to any X-Forwarded-For the viewer sent, adds CloudFront-Viewer-Address and the
//    origin's custom headers, and gives up on the origin after its read timeout.
//  - the ALB: appends its peer (CloudFront's address, or the viewer's) to X-Forwarded-For, sets
//    X-Forwarded-Proto/-Port, answers 403 to requests its listener rules do not forward, checks the
//    targets as the target group says, and keeps idle connections to targets open for its idle
//    timeout and reuses them.
// Tests make a request stand for a given viewer with the X-Twin-Viewer-Ip header (the viewer the
// stand-in would have seen on the internet); the header never reaches the ALB.
import type { TemplateResource } from './intrinsics.ts';
import { onlyResource, resourcesOf } from './stack.ts';
import type { TwinWorld } from './world.ts';

export interface EdgeSettings {
  readonly cloudFront?: {
    readonly domain: string;
    /** CloudFront sends CloudFront-Viewer-Address only when the origin request policy includes it. */
    readonly sendsViewerAddress: boolean;
    readonly originReadTimeoutSeconds: number;
    readonly originKeepaliveTimeoutSeconds: number;
    readonly originHeaders: Record<string, string>;
  };
  readonly alb: {
    readonly idleTimeoutSeconds: number;
    /** Headers a request must carry to be forwarded (listener rules); none: the default action forwards. */
    readonly requiredHeaders: Record<string, string>;
  };
  readonly targetGroup: {
    readonly port: number;
    readonly healthPath: string;
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
    readonly deregistrationDelaySeconds: number;
  };
}

function attribute(r: TemplateResource, key: string, list = 'LoadBalancerAttributes'): string | undefined {
  return (r.Properties?.[list] as Array<{ Key: string; Value: string }> | undefined)?.find((a) => a.Key === key)?.Value;
}

export function edgeSettings(world: TwinWorld): EdgeSettings {
  const t = world.template;
  const [, alb] = onlyResource(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
  const [, tg] = onlyResource(t, 'AWS::ElasticLoadBalancingV2::TargetGroup');
  const requiredHeaders: Record<string, string> = {};
  for (const [id, rule] of resourcesOf(t, 'AWS::ElasticLoadBalancingV2::ListenerRule')) {
    for (const c of (rule.Properties?.Conditions ?? []) as Array<Record<string, any>>) {
      if (c.Field !== 'http-header') throw new Error(`listener rule ${id}: condition ${c.Field} is not stood in by the twin`);
      const values = c.HttpHeaderConfig.Values as unknown[];
      if (values.length !== 1) throw new Error(`listener rule ${id}: the twin stands in for one header value`);
      requiredHeaders[c.HttpHeaderConfig.HttpHeaderName] = world.resolveWithSecrets(values[0], `${id} header value`);
    }
  }
  const distributions = resourcesOf(t, 'AWS::CloudFront::Distribution');
  let cloudFront: EdgeSettings['cloudFront'];
  if (distributions.length) {
    const [id, d] = distributions[0]!;
    const cfg = d.Properties!.DistributionConfig;
    const origin = cfg.Origins[0];
    const o = origin.CustomOriginConfig ?? origin.VpcOriginConfig;
    if (!o) throw new Error(`distribution ${id}: the twin stands in for custom (ALB) or VPC origins`);
    const policy = cfg.DefaultCacheBehavior.OriginRequestPolicyId;
    const custom = typeof policy === 'object' && policy?.Ref ? world.template.Resources[policy.Ref] : undefined;
    const headers = (custom?.Properties?.OriginRequestPolicyConfig?.HeadersConfig?.Headers ?? []) as string[];
    cloudFront = {
      domain: String(cfg.Aliases[0]),
      sendsViewerAddress: policy === ALL_VIEWER_AND_CLOUDFRONT_HEADERS || headers.some((h) => h.toLowerCase() === 'cloudfront-viewer-address'),
      originReadTimeoutSeconds: Number(o.OriginReadTimeout ?? 30),
      originKeepaliveTimeoutSeconds: Number(o.OriginKeepaliveTimeout ?? 5),
      originHeaders: Object.fromEntries(
        (origin.OriginCustomHeaders ?? []).map((h: { HeaderName: string; HeaderValue: unknown }) => [
          h.HeaderName,
          world.resolveWithSecrets(h.HeaderValue, `${id} origin header ${h.HeaderName}`),
        ]),
      ),
    };
  }
  const p = tg.Properties ?? {};
  return {
    cloudFront,
    alb: { idleTimeoutSeconds: Number(attribute(alb, 'idle_timeout.timeout_seconds') ?? 60), requiredHeaders },
    targetGroup: {
      port: Number(p.Port),
      healthPath: String(p.HealthCheckPath ?? '/'),
      intervalSeconds: Number(p.HealthCheckIntervalSeconds ?? 30),
      timeoutSeconds: Number(p.HealthCheckTimeoutSeconds ?? 5),
      healthyThreshold: Number(p.HealthyThresholdCount ?? 5),
      unhealthyThreshold: Number(p.UnhealthyThresholdCount ?? 2),
      deregistrationDelaySeconds: Number(attribute(tg, 'deregistration_delay.timeout_seconds', 'TargetGroupAttributes') ?? 300),
    },
  };
}

/** CloudFront's managed origin request policy AllViewerAndCloudFrontHeaders-2022-06 (viewer headers and CloudFront's own). */
const ALL_VIEWER_AND_CLOUDFRONT_HEADERS = '33f36d7e-f396-46d9-90e0-52428a34d9dc';

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** HAProxy configuration of the CloudFront stand-in: viewer TLS on 8443, the ALB at `albAddress`. */
export function cloudFrontConfig(e: EdgeSettings, albAddress: string): string {
  const cf = e.cloudFront!;
  return `global
  log stdout format raw local0
defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 60s
frontend viewers
  bind :8443 ssl crt /etc/haproxy/site.pem
  http-request set-var(txn.viewer) req.hdr(x-twin-viewer-ip)
  http-request set-var(txn.viewer) src unless { var(txn.viewer) -m found }
  http-request del-header x-twin-viewer-ip
  http-request set-header X-Forwarded-For "%[req.fhdr(x-forwarded-for)], %[var(txn.viewer)]" if { req.hdr(x-forwarded-for) -m found }
  http-request set-header X-Forwarded-For "%[var(txn.viewer)]" unless { req.hdr(x-forwarded-for) -m found }
${cf.sendsViewerAddress ? '  http-request set-header CloudFront-Viewer-Address "%[var(txn.viewer)]:%[src_port]"\n' : ''}  http-request set-header CloudFront-Forwarded-Proto https
${Object.entries(cf.originHeaders)
  .map(([k, v]) => `  http-request set-header ${k} ${quote(v)}`)
  .join('\n')}
  default_backend alb
backend alb
  timeout server ${cf.originReadTimeoutSeconds}s
  timeout http-keep-alive ${cf.originKeepaliveTimeoutSeconds}s
  http-reuse always
  server alb ${albAddress}:80 pool-purge-delay ${cf.originKeepaliveTimeoutSeconds}s
`;
}

/** HAProxy configuration of the ALB stand-in: HTTP on 80 (TLS is CloudFront's and the viewer's concern here), targets by address. */
export function albConfig(e: EdgeSettings, targets: Record<string, string>): string {
  const a = e.alb;
  const tg = e.targetGroup;
  const forward = Object.entries(a.requiredHeaders)
    .map(([k, v]) => `{ req.hdr(${k.toLowerCase()}) -m str ${quote(v)} }`)
    .join(' ');
  return `global
  log stdout format raw local0
  stats socket /run/haproxy/admin.sock mode 600 level admin
defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client ${a.idleTimeoutSeconds}s
  timeout server ${a.idleTimeoutSeconds}s
  timeout http-keep-alive ${a.idleTimeoutSeconds}s
frontend listener
  bind :80
  http-request set-header X-Forwarded-For "%[req.fhdr(x-forwarded-for)], %[src]" if { req.hdr(x-forwarded-for) -m found }
  http-request set-header X-Forwarded-For "%[src]" unless { req.hdr(x-forwarded-for) -m found }
  http-request set-header X-Forwarded-Proto https
  http-request set-header X-Forwarded-Port 443
${forward ? `  http-request return status 403 content-type text/plain string "Direct access is not allowed." unless ${forward}\n` : ''}  default_backend targets
backend targets
  balance roundrobin
  http-reuse always
  option httpchk GET ${tg.healthPath}
  http-check expect status 200
  timeout check ${tg.timeoutSeconds}s
  default-server check inter ${tg.intervalSeconds}s fall ${tg.unhealthyThreshold} rise ${tg.healthyThreshold} pool-purge-delay ${a.idleTimeoutSeconds}s
${Object.entries(targets)
  .map(([name, ip]) => `  server ${name} ${ip}:${tg.port}`)
  .join('\n')}
`;
}
