// The web ACL as synthesized, in both places it can sit: CLOUDFRONT scope in the us-east-1 edge
// stack (PRODUCTION with IPv4 and IPv6 campus ranges) and REGIONAL scope on the ALB in the main
// stack (SMALL, CloudFront off, one IPv4 campus range, 90-day log retention). Scoped managed rules,
// label rules, rate limits with campus IP sets, logging with redaction, data protection.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STATIC_PATHS } from '../../../src/aws/edge/distribution.ts';
import { CAMPUS, RATE_LIMIT_RULES, STATIC_FILES } from '../../../src/aws/edge/waf-acl-rules.ts';
import { countedRules, SCOPES, UNAUTHENTICATED_ENTRY_POINTS } from '../../../src/aws/edge/waf-scopes.ts';
import { build, only, PRODUCTION, resources, SMALL } from './fixtures.ts';

const edgeBuild = build(
  { ...PRODUCTION, aws: { ...PRODUCTION.aws, edge: { campusRanges: ['203.0.113.0/24', '2001:db8:1000::/48'] } } },
  { image: { tag: 'release-1' } },
);
const albBuild = build({
  ...SMALL,
  aws: { ...SMALL.aws, logRetention: '90d', edge: { ...SMALL.aws.edge, campusRanges: ['198.51.100.7/32'], campusRateLimit: 20_000 } },
});

const label = (key: string) => ({ LabelMatchStatement: { Key: key, Scope: 'LABEL' } });
const byteMatch = (constraint: string, path: string) => ({
  ByteMatchStatement: {
    FieldToMatch: { UriPath: {} },
    PositionalConstraint: constraint,
    SearchString: path,
    TextTransformations: [{ Priority: 0, Type: 'NONE' }],
  },
});

interface Placement {
  readonly name: string;
  readonly template: Template;
  readonly scope: 'CLOUDFRONT' | 'REGIONAL';
  readonly region: string;
  readonly logGroupPrefix: string;
  readonly retentionDays: number;
  readonly rateLimit: number;
  readonly campusLimit: number;
  readonly ipSets: Record<string, string[]>;
}

const PLACEMENTS: Placement[] = [
  {
    name: 'CloudFront (edge stack, us-east-1)',
    template: edgeBuild.edge!,
    scope: 'CLOUDFRONT',
    region: 'us-east-1',
    logGroupPrefix: 'aws-waf-logs-campus-edge-',
    retentionDays: 30,
    rateLimit: 3000,
    campusLimit: 50_000,
    ipSets: { IPV4: ['203.0.113.0/24'], IPV6: ['2001:db8:1000::/48'] },
  },
  {
    name: 'ALB (main stack, CloudFront off)',
    template: albBuild.main,
    scope: 'REGIONAL',
    region: 'eu-west-1',
    logGroupPrefix: 'aws-waf-logs-tiny-alb-',
    retentionDays: 90,
    rateLimit: 2000,
    campusLimit: 20_000,
    ipSets: { IPV4: ['198.51.100.7/32'] },
  },
];

for (const p of PLACEMENTS) {
  describe(`web ACL on ${p.name}`, () => {
    const [aclId, acl] = only(resources(p.template, 'AWS::WAFv2::WebACL'));
    const rules: any[] = acl.Properties.Rules;
    const rule = (name: string) => rules.find((r) => r.Name === name) ?? assert.fail(`no rule ${name}`);
    const ipSetIds = Object.keys(resources(p.template, 'AWS::WAFv2::IPSet'));

    test(`scope ${p.scope}`, () => {
      assert.equal(acl.Properties.Scope, p.scope);
    });
    test('the rules Moodle trips are set to Count in their managed group; the other groups are untouched', () => {
      const overrides = (group: string) => (rule(group).Statement.ManagedRuleGroupStatement.RuleActionOverrides ?? []).map((o: any) => [o.Name, o.ActionToUse]);
      assert.deepEqual(
        overrides('AWSManagedRulesCommonRuleSet'),
        ['SizeRestrictions_BODY', 'CrossSiteScripting_BODY', 'GenericRFI_BODY', 'GenericLFI_BODY', 'RestrictedExtensions_URIPATH'].map((n) => [
          n,
          { Count: {} },
        ]),
      );
      assert.deepEqual(
        overrides('AWSManagedRulesSQLiRuleSet'),
        ['SQLi_BODY', 'SQLiExtendedPatterns_BODY'].map((n) => [n, { Count: {} }]),
      );
      assert.deepEqual(overrides('AWSManagedRulesKnownBadInputsRuleSet'), []);
      assert.deepEqual(overrides('AWSManagedRulesAmazonIpReputationList'), []);
      assert.ok(!overrides('AWSManagedRulesCommonRuleSet').some(([n]: [string]) => n === 'EC2MetaDataSSRF_BODY'), 'the metadata SSRF rule keeps blocking');
    });
    test('body rules block, by their labels, everywhere except on authored-content scripts', () => {
      const r = rule(SCOPES.authoredContent.blockRuleName);
      assert.deepEqual(r.Action, { Block: {} });
      assert.deepEqual(r.Statement, {
        AndStatement: {
          Statements: [
            { OrStatement: { Statements: countedRules('authoredContent').map((d) => label(d.label)) } },
            { NotStatement: { Statement: label(SCOPES.authoredContent.label) } },
          ],
        },
      });
      assert.ok(r.Priority > rule('AWSManagedRulesSQLiRuleSet').Priority, 'runs after the groups that add the labels');
    });
    test('RestrictedExtensions_URIPATH blocks, by its label, everywhere except on file-serving scripts', () => {
      const r = rule(SCOPES.fileServing.blockRuleName);
      assert.deepEqual(r.Action, { Block: {} });
      assert.deepEqual(r.Statement, {
        AndStatement: {
          Statements: [
            label('awswaf:managed:aws:core-rule-set:RestrictedExtensions_URIPath'),
            { NotStatement: { Statement: label(SCOPES.fileServing.label) } },
          ],
        },
      });
    });
    test('authored content is labelled by exact script paths, never an entry point; file serving by script prefixes', () => {
      const authored = rule(SCOPES.authoredContent.ruleName);
      assert.deepEqual(authored.Action, { Count: {} });
      assert.deepEqual(authored.RuleLabels, [{ Name: SCOPES.authoredContent.label }]);
      const paths = authored.Statement.OrStatement.Statements;
      assert.ok(paths.some((s: any) => JSON.stringify(s) === JSON.stringify(byteMatch('EXACTLY', '/mod/quiz/processattempt.php'))));
      assert.ok(paths.some((s: any) => JSON.stringify(s) === JSON.stringify(byteMatch('EXACTLY', '/lib/ajax/service.php'))));
      for (const s of paths) {
        assert.equal(s.ByteMatchStatement.PositionalConstraint, 'EXACTLY');
        assert.ok(!(UNAUTHENTICATED_ENTRY_POINTS as readonly string[]).includes(s.ByteMatchStatement.SearchString));
      }
      const files = rule(SCOPES.fileServing.ruleName);
      assert.deepEqual(files.RuleLabels, [{ Name: SCOPES.fileServing.label }]);
      assert.ok(files.Statement.OrStatement.Statements.some((s: any) => JSON.stringify(s) === JSON.stringify(byteMatch('STARTS_WITH', '/pluginfile.php/'))));
    });
    test("Moodle's static files (the distribution's cached paths) are labelled and never counted by a rate rule", () => {
      const r = rule(STATIC_FILES.ruleName);
      assert.deepEqual(
        r.Statement.OrStatement.Statements.map((s: any) => s.ByteMatchStatement.SearchString),
        STATIC_PATHS.map((x) => x.replace(/\*$/, '')),
      );
      for (const name of [RATE_LIMIT_RULES.perIp, RATE_LIMIT_RULES.campus]) {
        const scopeDown = rule(name).Statement.RateBasedStatement.ScopeDownStatement;
        assert.deepEqual(scopeDown.AndStatement.Statements[0], { NotStatement: { Statement: label(STATIC_FILES.label) } }, name);
      }
    });
    test(`campus ranges: one IP set per address family (${Object.keys(p.ipSets).join(', ')}), labelled before the rate rules`, () => {
      const sets = Object.values(resources(p.template, 'AWS::WAFv2::IPSet')).map((s) => s.Properties);
      assert.deepEqual(Object.fromEntries(sets.map((s) => [s.IPAddressVersion, s.Addresses])), p.ipSets);
      for (const s of sets) assert.equal(s.Scope, p.scope);
      const refs = ipSetIds.map((id) => ({ IPSetReferenceStatement: { Arn: { 'Fn::GetAtt': [id, 'Arn'] } } }));
      const campus = rule(CAMPUS.ruleName);
      assert.deepEqual(campus.Statement, refs.length === 1 ? refs[0] : { OrStatement: { Statements: refs } });
      assert.deepEqual(campus.RuleLabels, [{ Name: CAMPUS.label }]);
      assert.ok(campus.Priority < rule(RATE_LIMIT_RULES.perIp).Priority);
    });
    test(`per-IP limit ${p.rateLimit} exempts campus addresses; they get their own limit of ${p.campusLimit}`, () => {
      const perIp = rule(RATE_LIMIT_RULES.perIp);
      assert.deepEqual(perIp.Action, { Block: {} });
      assert.deepEqual(perIp.Statement.RateBasedStatement, {
        Limit: p.rateLimit,
        AggregateKeyType: 'IP',
        EvaluationWindowSec: 300,
        ScopeDownStatement: {
          AndStatement: { Statements: [{ NotStatement: { Statement: label(STATIC_FILES.label) } }, { NotStatement: { Statement: label(CAMPUS.label) } }] },
        },
      });
      const campus = rule(RATE_LIMIT_RULES.campus);
      assert.deepEqual(campus.Action, { Block: {} });
      assert.deepEqual(campus.Statement.RateBasedStatement, {
        Limit: p.campusLimit,
        AggregateKeyType: 'IP',
        EvaluationWindowSec: 300,
        ScopeDownStatement: { AndStatement: { Statements: [{ NotStatement: { Statement: label(STATIC_FILES.label) } }, label(CAMPUS.label)] } },
      });
    });
    test(`logs to an aws-waf-logs- group in ${p.region}, kept ${p.retentionDays} days, Cookie and Authorization redacted`, () => {
      const [logId, logGroup] = only(
        Object.fromEntries(Object.entries(resources(p.template, 'AWS::Logs::LogGroup')).filter(([id]) => id.startsWith('WafLogging'))),
      );
      assert.deepEqual(logGroup.Properties.LogGroupName, { 'Fn::Join': ['', [p.logGroupPrefix, { 'Fn::GetAtt': [aclId, 'Id'] }]] });
      assert.equal(logGroup.Properties.RetentionInDays, p.retentionDays);
      assert.equal(logGroup.DeletionPolicy, 'Retain');
      p.template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        ResourceArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
        // The log group ARN without CloudFormation's ":*" suffix, which AWS WAF refuses.
        LogDestinationConfigs: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${p.region}:`, { Ref: 'AWS::AccountId' }, ':log-group:', { Ref: logId }]] },
        ],
        RedactedFields: [{ SingleHeader: { Name: 'cookie' } }, { SingleHeader: { Name: 'authorization' } }],
        LoggingFilter: {
          DefaultBehavior: 'DROP',
          Filters: [
            Match.objectLike({
              Behavior: 'KEEP',
              Requirement: 'MEETS_ANY',
              Conditions: Match.arrayWith([
                { ActionCondition: { Action: 'BLOCK' } },
                { LabelNameCondition: { LabelName: 'awswaf:managed:aws:sql-database:SQLi_Body' } },
              ]),
            }),
          ],
        },
      });
    });
    test('data protection keeps session cookies, tokens and bodies out of logs and sampled requests', () => {
      const protections = acl.Properties.DataProtectionConfig.DataProtections;
      assert.deepEqual(
        protections.map((d: any) => [d.Field.FieldType, d.Field.FieldKeys ?? [], d.Action]),
        [
          ['SINGLE_HEADER', ['cookie', 'authorization'], 'SUBSTITUTION'],
          ['SINGLE_QUERY_ARGUMENT', ['token', 'wstoken', 'sesskey'], 'SUBSTITUTION'],
          ['BODY', [], 'SUBSTITUTION'],
        ],
      );
    });
  });
}

describe('both placements', () => {
  const names = (t: Template) => (only(resources(t, 'AWS::WAFv2::WebACL'))[1].Properties.Rules as any[]).map((r) => `${r.Priority} ${r.Name}`);
  test('carry the same rules in the same order', () => {
    assert.deepEqual(names(edgeBuild.edge!), names(albBuild.main));
  });
  test('the CloudFront web ACL lives only in the edge stack, the ALB one only without CloudFront', () => {
    edgeBuild.main.resourceCountIs('AWS::WAFv2::WebACL', 0);
    edgeBuild.main.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
    albBuild.main.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });
  test('the web ACL is exposed for the exam-window applier: name, id, ARN and scope', () => {
    const waf = edgeBuild.built.edge!.waf;
    const stack = edgeBuild.built.edge!;
    const aclId = only(resources(edgeBuild.edge!, 'AWS::WAFv2::WebACL'))[0];
    assert.equal(waf.scope, 'CLOUDFRONT');
    assert.deepEqual(stack.resolve(waf.webAclId), { 'Fn::GetAtt': [aclId, 'Id'] });
    assert.deepEqual(stack.resolve(waf.webAclArn), { 'Fn::GetAtt': [aclId, 'Arn'] });
    assert.deepEqual(stack.resolve(waf.webAclName), { 'Fn::Select': [0, { 'Fn::Split': ['|', { Ref: aclId }] }] });
    assert.equal(albBuild.built.main!.waf!.scope, 'REGIONAL');
    assert.equal(edgeBuild.built.main!.waf, undefined);
  });
});
