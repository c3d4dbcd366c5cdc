// Small builders for AWS WAF rule statements (CloudFormation shapes of CfnWebACL), and the web ACL
// capacity they use, from AWS's documented costs (AWS WAF developer guide, "Using match rule
// statements" and "Using logical rule statements"): string match EXACTLY / STARTS_WITH / ENDS_WITH
// 2 WCU, CONTAINS 10, +10 per text transformation; label match 1; IP set match 1; AND / OR / NOT
// the sum of what they hold; rate-based 2 plus its scope-down; a managed rule group its own
// capacity. A web ACL's price includes 1,500 WCU (the maximum is 5,000).
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { MANAGED_RULE_GROUP_WCU, type PathMatch } from './waf-scopes.ts';

export type Statement = wafv2.CfnWebACL.StatementProperty;
export type Rule = wafv2.CfnWebACL.RuleProperty;

/** WCU included in a web ACL's base price. */
export const WCU_INCLUDED = 1500;

/** The URI path is exactly a script, or starts with a script and its slash arguments. No transformation: anything else does not match. */
export function uriPath(match: PathMatch): Statement {
  const [positionalConstraint, searchString] = 'exact' in match ? ['EXACTLY', match.exact] : ['STARTS_WITH', match.prefix];
  return { byteMatchStatement: { fieldToMatch: { uriPath: {} }, positionalConstraint, searchString, textTransformations: [{ priority: 0, type: 'NONE' }] } };
}

/**
 * A CloudFront path pattern (as in the distribution's cache behaviours) as a WAF path match:
 * "/a.php/*" and "/a.php*" become a prefix, a pattern without "*" an exact path.
 */
export function pathPattern(pattern: string): PathMatch {
  const star = pattern.indexOf('*');
  if (star < 0) return { exact: pattern };
  if (star !== pattern.length - 1 || pattern.includes('?')) {
    throw new Error(`path pattern ${pattern}: only a trailing "*" can be expressed as a WAF path match; write the pattern as a prefix`);
  }
  return { prefix: pattern.slice(0, -1) };
}

export function hasLabel(key: string): Statement {
  return { labelMatchStatement: { scope: 'LABEL', key } };
}

export function fromIpSet(arn: string): Statement {
  return { ipSetReferenceStatement: { arn } };
}

/** OR of the statements; one statement stands alone (WAF wants two or more inside OR). */
export function anyOf(statements: readonly Statement[]): Statement {
  if (statements.length === 0) throw new Error('anyOf needs at least one statement');
  return statements.length === 1 ? statements[0]! : { orStatement: { statements: [...statements] } };
}

/** AND of the statements; one statement stands alone. */
export function allOf(statements: readonly Statement[]): Statement {
  if (statements.length === 0) throw new Error('allOf needs at least one statement');
  return statements.length === 1 ? statements[0]! : { andStatement: { statements: [...statements] } };
}

export function not(statement: Statement): Statement {
  return { notStatement: { statement } };
}

const BYTE_MATCH_WCU: Record<string, number> = { EXACTLY: 2, STARTS_WITH: 2, ENDS_WITH: 2, CONTAINS: 10, CONTAINS_WORD: 10 };

/** Capacity of one statement; throws on a statement type this code base does not use. */
export function statementCapacity(s: Statement): number {
  const st = s as Record<string, any>;
  if (st.byteMatchStatement) {
    const b = st.byteMatchStatement;
    const transforms = (b.textTransformations as { type: string }[]).filter((t) => t.type !== 'NONE').length;
    return BYTE_MATCH_WCU[b.positionalConstraint]! + 10 * transforms;
  }
  if (st.labelMatchStatement || st.ipSetReferenceStatement) return 1;
  if (st.notStatement) return statementCapacity(st.notStatement.statement);
  if (st.andStatement || st.orStatement) return ((st.andStatement ?? st.orStatement).statements as Statement[]).reduce((n, x) => n + statementCapacity(x), 0);
  if (st.rateBasedStatement) return 2 + (st.rateBasedStatement.scopeDownStatement ? statementCapacity(st.rateBasedStatement.scopeDownStatement) : 0);
  if (st.managedRuleGroupStatement) {
    const wcu = (MANAGED_RULE_GROUP_WCU as Record<string, number>)[st.managedRuleGroupStatement.name];
    if (wcu === undefined)
      throw new Error(`no documented capacity for managed rule group ${st.managedRuleGroupStatement.name}: add it to MANAGED_RULE_GROUP_WCU`);
    return wcu;
  }
  throw new Error(`statementCapacity: unknown statement ${Object.keys(st).join(', ')}`);
}

/** Capacity of a web ACL's rules (what CheckCapacity would report, from the documented costs). */
export function webAclCapacity(rules: readonly Rule[]): number {
  return rules.reduce((n, r) => n + statementCapacity(r.statement as Statement), 0);
}
