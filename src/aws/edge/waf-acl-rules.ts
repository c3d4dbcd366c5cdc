// The rules of Moodle's web ACL, in evaluation order, built from the table in waf-scopes.ts:
//
//   0-3    label rules (COUNT + a label): static files, campus addresses, authored content, file serving
//   10-11  per-IP rate limits: everyone (static files not counted, campus addresses exempt), and
//          campus addresses with their own, higher limit
//   20-23  AWS managed rule groups; the rules Moodle trips in normal use are set to COUNT
//   30-31  BLOCK what those counted rules matched (their labels), except inside their Moodle scope
//
// This is AWS's documented pattern for scoping a managed rule: override it to Count, then match
// its label in a later rule (AWS WAF developer guide, "Label match rule statement"; labels of
// counted rules stay on the request for the rules after them).
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { STATIC_PATHS } from './distribution.ts';
import { MANAGED_RULE_GROUPS, SCOPES, countedRules, type ScopeName } from './waf-scopes.ts';
import { allOf, anyOf, fromIpSet, hasLabel, not, pathPattern, uriPath, type Rule, type Statement } from './waf-statements.ts';
import { RATE_LIMIT_RULE_NAME } from '../waf-rule-names.ts';

/**
 * Names of the rate-based rules. Stable: the exam-window schedule applier finds them by name in
 * the web ACL (GetWebACL, change Limit, UpdateWebACL with the lock token).
 */
export const RATE_LIMIT_RULES = {
  /** Every client IP, static files not counted, campus ranges exempt. */
  perIp: RATE_LIMIT_RULE_NAME,
  /** Each campus egress address (only when aws.edge.campusRanges is set). */
  campus: 'RateLimitCampus',
} as const;

/** Rate windows are 5 minutes: the spec's limits are per 5 minutes. */
export const RATE_WINDOW_SECONDS = 300;

export const STATIC_FILES = { label: 'moodle-ha:static-file', ruleName: 'MoodleStaticFiles' } as const;
export const CAMPUS = { label: 'moodle-ha:campus', ruleName: 'MoodleCampus' } as const;

export interface MoodleWafRuleOptions {
  /** Requests per 5 minutes one IP may make (static files not counted). */
  readonly rateLimit: number;
  /** Campus egress IP sets and their limit per address. @default - no campus rule */
  readonly campus?: { readonly rateLimit: number; readonly ipSetArns: readonly string[] };
  /** Prefix of the CloudWatch metric names. */
  readonly metricPrefix: string;
}

export function moodleWafRules(o: MoodleWafRuleOptions): Rule[] {
  const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName: `${o.metricPrefix}-${name}`,
  });
  const labelRule = (name: string, priority: number, label: string, statement: Statement, metric: string): Rule => ({
    name,
    priority,
    action: { count: {} },
    ruleLabels: [{ name: label }],
    statement,
    visibilityConfig: visibility(metric),
  });
  const campus = o.campus && o.campus.ipSetArns.length > 0 ? o.campus : undefined;
  const notStatic = not(hasLabel(STATIC_FILES.label));

  const rules: Rule[] = [
    labelRule(STATIC_FILES.ruleName, 0, STATIC_FILES.label, anyOf(STATIC_PATHS.map((p) => uriPath(pathPattern(p)))), 'static-files'),
    ...(campus ? [labelRule(CAMPUS.ruleName, 1, CAMPUS.label, anyOf(campus.ipSetArns.map(fromIpSet)), 'campus')] : []),
    ...(Object.keys(SCOPES) as ScopeName[]).map((name, i) => {
      const scope = SCOPES[name];
      return labelRule(scope.ruleName, 2 + i, scope.label, anyOf(scope.paths.map((p) => uriPath(p.path))), scope.label.split(':')[1]!);
    }),
    {
      name: RATE_LIMIT_RULES.perIp,
      priority: 10,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: o.rateLimit,
          aggregateKeyType: 'IP',
          evaluationWindowSec: RATE_WINDOW_SECONDS,
          scopeDownStatement: campus ? allOf([notStatic, not(hasLabel(CAMPUS.label))]) : notStatic,
        },
      },
      visibilityConfig: visibility('rate-limit'),
    },
    ...(campus
      ? [
          {
            name: RATE_LIMIT_RULES.campus,
            priority: 11,
            action: { block: {} },
            statement: {
              rateBasedStatement: {
                limit: campus.rateLimit,
                aggregateKeyType: 'IP',
                evaluationWindowSec: RATE_WINDOW_SECONDS,
                scopeDownStatement: allOf([notStatic, hasLabel(CAMPUS.label)]),
              },
            },
            visibilityConfig: visibility('rate-limit-campus'),
          } satisfies Rule,
        ]
      : []),
    ...MANAGED_RULE_GROUPS.map((group, i): Rule => {
      const counted = countedRules().filter((d) => d.group === group);
      return {
        name: group,
        priority: 20 + i,
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name: group,
            ruleActionOverrides: counted.length > 0 ? counted.map((d) => ({ name: d.rule, actionToUse: { count: {} } })) : undefined,
          },
        },
        visibilityConfig: visibility(group),
      };
    }),
    ...(Object.keys(SCOPES) as ScopeName[]).flatMap((name, i): Rule[] => {
      const counted = countedRules(name);
      if (counted.length === 0) return [];
      const scope = SCOPES[name];
      return [
        {
          name: scope.blockRuleName,
          priority: 30 + i,
          action: { block: {} },
          statement: allOf([anyOf(counted.map((d) => hasLabel(d.label))), not(hasLabel(scope.label))]),
          visibilityConfig: visibility(`block-outside-${scope.label.split(':')[1]}`),
        },
      ];
    }),
  ];
  return rules;
}
