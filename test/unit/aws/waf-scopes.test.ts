// The WAF rule table (src/aws/edge/waf-scopes.ts) and the rules built from it, without a synth:
// managed rule names and labels agree, no entry point is ever exempt, labels are produced before
// they are matched, the capacity stays inside what a web ACL includes, and docs/aws.md shows the
// table the code uses.
import { App, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AWS_DOC_FILE, currentWafDoc, renderWafDoc, spliceWafDoc, WAF_DOC_BEGIN, WAF_DOC_END } from '../../../scripts/waf-doc.ts';
import { STATIC_PATHS } from '../../../src/aws/edge/distribution.ts';
import { CAMPUS, moodleWafRules, RATE_LIMIT_RULES, STATIC_FILES } from '../../../src/aws/edge/waf-acl-rules.ts';
import { MoodleWebAcl } from '../../../src/aws/edge/waf-rules.ts';
import { REDACTED_HEADERS, wafLoggingFilter, WAF_LOG_GROUP_PREFIX } from '../../../src/aws/edge/waf-logging.ts';
import { countedRules, MANAGED_RULE_GROUPS, SCOPES, UNAUTHENTICATED_ENTRY_POINTS, WAF_RULE_TABLE, type PathMatch } from '../../../src/aws/edge/waf-scopes.ts';
import { allOf, anyOf, hasLabel, pathPattern, statementCapacity, webAclCapacity, WCU_INCLUDED, type Statement } from '../../../src/aws/edge/waf-statements.ts';

const matches = (m: PathMatch, path: string) => ('exact' in m ? path === m.exact : path.startsWith(m.prefix));
const allPaths = (name: keyof typeof SCOPES) => SCOPES[name].paths.map((p) => p.path);
const CAMPUS_ARNS = ['arn:ipv4', 'arn:ipv6'];
const withCampus = moodleWafRules({ rateLimit: 3000, campus: { rateLimit: 50_000, ipSetArns: CAMPUS_ARNS }, metricPrefix: 'm' });
const without = moodleWafRules({ rateLimit: 3000, metricPrefix: 'm' });

/** Every label key a statement matches on. */
function labelKeys(s: unknown): string[] {
  if (!s || typeof s !== 'object') return [];
  const o = s as Record<string, any>;
  return [...(o.labelMatchStatement ? [o.labelMatchStatement.key as string] : []), ...Object.values(o).flatMap(labelKeys)];
}

describe('the rule table', () => {
  const GROUP_NAMESPACE: Record<string, string> = {
    AWSManagedRulesCommonRuleSet: 'awswaf:managed:aws:core-rule-set:',
    AWSManagedRulesSQLiRuleSet: 'awswaf:managed:aws:sql-database:',
  };
  test("each label is its group's namespace and the rule's name (AWS writes the suffix in mixed case)", () => {
    for (const d of WAF_RULE_TABLE.filter((r) => r.label)) {
      assert.ok(d.label!.startsWith(GROUP_NAMESPACE[d.group]!), `${d.rule}: ${d.label}`);
      assert.equal(d.label!.slice(GROUP_NAMESPACE[d.group]!.length).toUpperCase(), d.rule.toUpperCase(), d.rule);
    }
  });
  test('the rules Moodle trips count in their scope; the metadata SSRF rule still blocks everywhere', () => {
    const counted = Object.fromEntries(countedRules().map((d) => [d.rule, d.action.countIn]));
    assert.deepEqual(counted, {
      SizeRestrictions_BODY: 'authoredContent',
      CrossSiteScripting_BODY: 'authoredContent',
      GenericRFI_BODY: 'authoredContent',
      GenericLFI_BODY: 'authoredContent',
      RestrictedExtensions_URIPATH: 'fileServing',
      SQLi_BODY: 'authoredContent',
      SQLiExtendedPatterns_BODY: 'authoredContent',
    });
    assert.deepEqual(WAF_RULE_TABLE.find((d) => d.rule === 'EC2MetaDataSSRF_BODY')!.action, { block: 'everywhere' });
  });
  test('every decision says what it would block in Moodle and why; one row per rule', () => {
    for (const d of WAF_RULE_TABLE) assert.ok(d.inMoodle.length > 10 && d.why.length > 10, d.rule);
    const keys = WAF_RULE_TABLE.map((d) => `${d.group}/${d.rule}`);
    assert.equal(new Set(keys).size, keys.length);
    for (const g of MANAGED_RULE_GROUPS)
      assert.ok(
        WAF_RULE_TABLE.some((d) => d.group === g),
        `${g} has no row`,
      );
  });
});

describe('scopes', () => {
  test('no unauthenticated entry point is in any scope', () => {
    for (const name of Object.keys(SCOPES) as (keyof typeof SCOPES)[]) {
      for (const entry of UNAUTHENTICATED_ENTRY_POINTS) assert.ok(!allPaths(name).some((m) => matches(m, entry)), `${entry} is in ${name}`);
    }
  });
  test('authored content is a list of exact PHP scripts; file serving is scripts followed by slash arguments', () => {
    for (const m of allPaths('authoredContent')) assert.ok('exact' in m && /^\/[a-z0-9_/.-]+\.php$/.test(m.exact), JSON.stringify(m));
    for (const m of allPaths('fileServing')) assert.ok('prefix' in m && /^\/[a-z0-9_/]+\.php\/$/.test(m.prefix), JSON.stringify(m));
    for (const name of ['authoredContent', 'fileServing'] as const) {
      const texts = allPaths(name).map((m) => JSON.stringify(m));
      assert.equal(new Set(texts).size, texts.length, `${name} lists a path twice`);
    }
  });
  test('a pluginfile download with a restricted extension is file serving; the login page and static files are in no scope', () => {
    assert.ok(allPaths('fileServing').some((m) => matches(m, '/pluginfile.php/27/assignsubmission_file/submission_files/3/server.log')));
    for (const path of ['/login/index.php', '/theme/styles.php/boost/1/all', '/index.php', '/mod/quiz/processattempt.php/x']) {
      assert.ok(!allPaths('authoredContent').some((m) => matches(m, path)) && !allPaths('fileServing').some((m) => matches(m, path)), path);
    }
  });
});

describe('rules built from the table', () => {
  test('names and priorities are unique and in evaluation order', () => {
    for (const rules of [withCampus, without]) {
      assert.equal(new Set(rules.map((r) => r.name)).size, rules.length);
      const priorities = rules.map((r) => r.priority);
      assert.deepEqual(
        priorities,
        [...priorities].sort((a, b) => a - b),
      );
      assert.equal(new Set(priorities).size, rules.length);
    }
  });
  test('every label is added by a rule that runs before the rules matching it', () => {
    const producers = new Map<string, number>();
    for (const r of withCampus) {
      for (const key of labelKeys(r.statement)) {
        const managed = countedRules().find((d) => d.label === key);
        const producer = managed ? withCampus.find((x) => x.name === managed.group)!.priority : producers.get(key);
        assert.ok(producer !== undefined && producer < r.priority, `${r.name} matches ${key} before it is added`);
      }
      for (const l of (r.ruleLabels as { name: string }[] | undefined) ?? []) producers.set(l.name, r.priority);
    }
  });
  test('without campus ranges there is no campus rule and the per-IP rule only skips static files', () => {
    assert.ok(!without.some((r) => r.name === RATE_LIMIT_RULES.campus || r.name === CAMPUS.ruleName));
    const perIp = without.find((r) => r.name === RATE_LIMIT_RULES.perIp)!;
    assert.deepEqual((perIp.statement as any).rateBasedStatement.scopeDownStatement, { notStatement: { statement: hasLabel(STATIC_FILES.label) } });
  });
  test('capacity from AWS documented costs: 1241 WCU, 1248 with campus ranges, inside the 1500 included', () => {
    assert.equal(webAclCapacity(without), 1241);
    assert.equal(webAclCapacity(withCampus), 1248);
    assert.ok(webAclCapacity(withCampus) <= WCU_INCLUDED);
  });
});

describe('statement helpers', () => {
  test("the distribution's static path patterns become path prefixes", () => {
    assert.deepEqual(pathPattern('/theme/image.php/*'), { prefix: '/theme/image.php/' });
    assert.deepEqual(pathPattern('/theme/yui_combo.php*'), { prefix: '/theme/yui_combo.php' });
    assert.deepEqual(pathPattern('/index.php'), { exact: '/index.php' });
    assert.throws(() => pathPattern('/theme/*/image.php'), /only a trailing "\*"/);
    for (const p of STATIC_PATHS) assert.ok('prefix' in pathPattern(p), p);
  });
  test('OR and AND of one statement are the statement itself; of none, an error', () => {
    const s = hasLabel('x');
    assert.equal(anyOf([s]), s);
    assert.equal(allOf([s]), s);
    assert.deepEqual(anyOf([s, s]), { orStatement: { statements: [s, s] } });
    assert.throws(() => anyOf([]), /at least one/);
  });
  test('capacity of string matches with transformations, and unknown statements are refused', () => {
    const contains: Statement = {
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'CONTAINS',
        searchString: 'x',
        textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
      },
    };
    assert.equal(statementCapacity(contains), 20);
    assert.throws(() => statementCapacity({ geoMatchStatement: { countryCodes: ['FR'] } }), /unknown statement geoMatchStatement/);
  });
});

describe('logging', () => {
  test('keeps blocked requests and the content rules counted in scope; drops the rest', () => {
    const f = wafLoggingFilter();
    assert.equal(f.DefaultBehavior, 'DROP');
    const conditions = f.Filters[0]!.Conditions;
    assert.deepEqual(conditions[0], { ActionCondition: { Action: 'BLOCK' } });
    const labels = conditions.slice(1).map((c) => ('LabelNameCondition' in c ? c.LabelNameCondition.LabelName : ''));
    assert.deepEqual(
      labels,
      countedRules()
        .filter((d) => d.action.logCounted)
        .map((d) => d.label),
    );
    assert.ok(labels.includes('awswaf:managed:aws:sql-database:SQLi_Body'));
    assert.ok(!labels.some((l) => /SizeRestrictions|RestrictedExtensions/.test(l)), 'uploads and token paths are not logged when counted');
  });
  test('the log group prefix AWS WAF requires, and the secret headers redacted', () => {
    assert.equal(WAF_LOG_GROUP_PREFIX, 'aws-waf-logs-');
    assert.deepEqual([...REDACTED_HEADERS], ['cookie', 'authorization']);
  });
});

describe('MoodleWebAcl', () => {
  test('refuses a campus range that is not a canonical CIDR block (the spec normally catches it first)', () => {
    const stack = new Stack(new App(), 'Probe');
    const props = { scope: 'REGIONAL', metricPrefix: 'p', logRetention: RetentionDays.ONE_MONTH } as const;
    assert.throws(
      () => new MoodleWebAcl(stack, 'A', { ...props, campusRanges: ['203.0.113.7/24'] }),
      /campus range "203\.0\.113\.7\/24" is not a canonical CIDR block: write 203\.0\.113\.0\/24/,
    );
    assert.throws(() => new MoodleWebAcl(stack, 'B', { ...props, campusRanges: ['campus'] }), /is not a canonical CIDR block: it is not a CIDR block/);
    assert.equal(new MoodleWebAcl(stack, 'C', { ...props, campusRanges: ['203.0.113.0/24'] }).capacity, 1247);
  });
});

describe('docs/aws.md', () => {
  test('shows the rule table the code uses (run "npm run docs" after changing waf-scopes.ts)', () => {
    assert.equal(currentWafDoc(readFileSync(AWS_DOC_FILE, 'utf8')), renderWafDoc());
  });
  test('the generated block names every counted rule, every scope path and the capacity', () => {
    const doc = renderWafDoc();
    for (const d of countedRules()) assert.match(doc, new RegExp(`\\| \`${d.rule}\` \\|[^\\n]*count on`));
    for (const name of Object.keys(SCOPES) as (keyof typeof SCOPES)[]) {
      for (const m of allPaths(name)) assert.ok(doc.includes('exact' in m ? `\`${m.exact}\`` : `\`${m.prefix}…\``), JSON.stringify(m));
    }
    assert.match(doc, /Total: \*\*1241 WCU\*\* \(1248 with IPv4 and IPv6 campus ranges\)/);
  });
  test('splicing replaces only the marked block, and a page without markers is refused', () => {
    const page = `intro\n${WAF_DOC_BEGIN}\nold\n${WAF_DOC_END}\noutro\n`;
    assert.equal(spliceWafDoc(page, 'NEW'), 'intro\nNEW\noutro\n');
    assert.throws(() => spliceWafDoc('no markers'), /has no WAF block/);
  });
});
