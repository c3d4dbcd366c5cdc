// cdk-nag (v3, a CDK policy-validation plugin) for the whole app, and the one way this code base
// acknowledges a finding: next to the construct that causes it, with a reason a reviewer can check.
//
// Acknowledgements are recorded, then resolved against one run of the pack: each finding they match
// becomes an exact CDK acknowledgement (Validations.of(construct).acknowledge) with the reason.
// Granular rules (IAM4, IAM5) report one finding per policy entry, e.g.
// "AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]", whose logical ids are known only after the tree is
// built: `acknowledgeFinding` takes a pattern for them. An acknowledgement that matches nothing is
// reported, so none outlives the finding it was written for.
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export interface FindingAcknowledgement {
  /** Rule id without the pack prefix, e.g. "IAM5". */
  readonly rule: string;
  /** The finding inside the brackets, e.g. /^Resource::<.*Bucket.*\.Arn>\/bundle\/\*$/. */
  readonly finding: RegExp;
  readonly reason: string;
}

interface Pending {
  readonly rule: string;
  readonly finding?: RegExp;
  readonly reason: string;
  used: boolean;
}

const pending = new WeakMap<IConstruct, Pending[]>();

function register(scope: IConstruct, p: Omit<Pending, 'used'>): void {
  checkReason(p.rule, p.reason);
  pending.set(scope, [...(pending.get(scope) ?? []), { ...p, used: false }]);
}

/** Acknowledges a whole rule for a construct and everything below it. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  register(scope, { rule, reason });
}

/** Acknowledges the findings of a granular rule that match `finding`, below `scope`. */
export function acknowledgeFinding(scope: IConstruct, ack: FindingAcknowledgement): void {
  register(scope, ack);
}

/**
 * Runs the pack once and turns the recorded acknowledgements that match a finding into exact
 * CDK acknowledgements on the acknowledging construct. Returns the acknowledgements below `root`
 * that matched nothing ("<path>: <rule>"): a stale acknowledgement is a bug.
 */
export function resolveAcknowledgements(root: IConstruct): string[] {
  const byPath = new Map(root.node.findAll().map((c) => [c.node.path, c] as const));
  const report = new AwsSolutionsChecks(root).validateScope(root);
  for (const violation of report.violations) {
    const m = /^[A-Za-z]+-([A-Za-z0-9]+)(?:\[(.*)\])?$/s.exec(violation.ruleName);
    if (!m) continue;
    const rule = m[1]!;
    const finding = m[2];
    for (const resource of violation.violatingResources) {
      const path = (resource as { constructPath?: string }).constructPath;
      let node = path === undefined ? undefined : byPath.get(path);
      while (node) {
        const ack = pending.get(node)?.find((a) => a.rule === rule && (finding === undefined ? a.finding === undefined : a.finding?.test(finding)));
        if (ack) {
          Validations.of(node).acknowledge({ id: violation.ruleName, reason: ack.reason });
          ack.used = true;
          break;
        }
        node = node.node.scope;
      }
    }
  }
  const unused: string[] = [];
  for (const c of root.node.findAll()) {
    for (const a of pending.get(c) ?? []) if (!a.used) unused.push(`${c.node.path}: ${a.rule}${a.finding ? ` ${a.finding}` : ''}`);
  }
  return unused;
}

/** Resolves the acknowledgements, then registers the pack so synthesis fails on any other finding. */
export function addNagChecks(root: IConstruct): string[] {
  const unused = resolveAcknowledgements(root);
  Validations.of(root).addPlugins(new AwsSolutionsChecks(root, { verbose: true, writeSuppressionsToCloudFormation: true }));
  return unused;
}

/** Unacknowledged findings below `scope`: "<rule> <construct path>: <description>". */
export function nagFindings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(scope).validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} ${(r as { constructPath?: string }).constructPath ?? '?'}: ${v.description}`),
  );
}

function checkReason(rule: string, reason: string): void {
  if (reason.trim().length < 30) throw new Error(`acknowledging ${rule} needs a specific reason (30+ characters), got "${reason}"`);
}
