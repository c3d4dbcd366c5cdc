// cdk-nag (v3, a CDK policy-validation plugin) for the whole app, and the one way this code base
// acknowledges a finding: next to the construct that causes it, with a reason a reviewer can check.
//
// Plain rules are acknowledged at once (Validations.of(scope).acknowledge). Granular rules (IAM4,
// IAM5) report one finding per policy entry, e.g. "AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]";
// their ids contain logical ids known only after the tree is built, so `acknowledgeFinding` records
// a pattern and `resolveAcknowledgements` turns each matching finding into an exact acknowledgement.
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export const PACK = 'AwsSolutions';

export interface FindingAcknowledgement {
  /** Rule id without the pack prefix, e.g. "IAM5". */
  readonly rule: string;
  /** The finding inside the brackets, e.g. /^Resource::<.*Bucket.*\.Arn>\/bundle\/\*$/. */
  readonly finding: RegExp;
  readonly reason: string;
}

const patterns = new WeakMap<IConstruct, FindingAcknowledgement[]>();

/** Acknowledges a whole rule for a construct and everything below it. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  checkReason(rule, reason);
  Validations.of(scope).acknowledge({ id: `${PACK}-${rule}`, reason });
}

/** Acknowledges the findings of a granular rule that match `finding`, below `scope`. */
export function acknowledgeFinding(scope: IConstruct, ack: FindingAcknowledgement): void {
  checkReason(ack.rule, ack.reason);
  patterns.set(scope, [...(patterns.get(scope) ?? []), ack]);
}

/** Runs the pack once and turns recorded finding patterns into exact acknowledgements. */
export function resolveAcknowledgements(root: IConstruct): void {
  const byPath = new Map(root.node.findAll().map((c) => [c.node.path, c] as const));
  const report = new AwsSolutionsChecks(root).validateScope(root);
  for (const violation of report.violations) {
    const m = /^[A-Za-z]+-([A-Za-z0-9]+)\[(.*)\]$/s.exec(violation.ruleName);
    if (!m) continue;
    const [, rule, finding] = m as unknown as [string, string, string];
    for (const resource of violation.violatingResources) {
      const path = (resource as { constructPath?: string }).constructPath;
      let node = path === undefined ? undefined : byPath.get(path);
      while (node) {
        const ack = patterns.get(node)?.find((a) => a.rule === rule && a.finding.test(finding));
        if (ack) {
          Validations.of(node).acknowledge({ id: violation.ruleName, reason: ack.reason });
          break;
        }
        node = node.node.scope;
      }
    }
  }
}

/** Registers the AwsSolutions pack so synthesis fails on any finding not acknowledged. */
export function addNagChecks(root: IConstruct): void {
  resolveAcknowledgements(root);
  Validations.of(root).addPlugins(new AwsSolutionsChecks(root, { verbose: true, writeSuppressionsToCloudFormation: true }));
}

/** Unacknowledged findings below `scope`: "<rule> <construct path>: <description>". */
export function nagFindings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(scope).validateScope(scope);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${(r as { constructPath?: string }).constructPath ?? '?'}: ${v.description}`));
}

function checkReason(rule: string, reason: string): void {
  if (reason.trim().length < 30) throw new Error(`acknowledging ${rule} needs a specific reason (30+ characters), got "${reason}"`);
}
