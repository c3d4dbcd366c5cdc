// What `up` prints once the cluster is up: what its migrate changed (and what plugins missing from
// disk mean), where the site is, where its mail and admin password are, and the commands to run next (with the spec this run was given: src/spec/hint.ts).
import type { UpResult } from '../runtime/cluster.ts';
import { clusterNames } from '../local/names.ts';
import { hint, specChoice, type SpecChoice } from '../spec/hint.ts';
import type { Spec } from '../spec/schema.ts';
import { migrateChangesLine, missingFromDiskAdvice } from './migrate-changes.ts';

export function upSummary(
  spec: Spec,
  r: Pick<UpResult, 'url' | 'mailUrl' | 'adminUser' | 'adminPasswordFile' | 'webNodes' | 'migrate'> & Partial<Pick<UpResult, 'migrateReport'>>,
  seconds: number,
  choice: SpecChoice = specChoice(),
): string {
  return (
    `\nMoodle is up in ${seconds.toFixed(0)} s (${r.webNodes} web node${r.webNodes > 1 ? 's' : ''}, migrate: ${r.migrate}).\n` +
    (r.migrateReport && (r.migrateReport.action !== 'unchanged' || r.migrateReport.missing.length)
      ? `  changes:  ${migrateChangesLine(r.migrateReport)}\n`
      : '') +
    `  URL:      ${r.url}\n` +
    `  mail:     ${r.mailUrl} (every message the site sends lands here; nothing is delivered)\n` +
    `  admin:    ${r.adminUser}\n` +
    `  password: in ${r.adminPasswordFile} (mode 0600; generated, not a default)\n` +
    (spec.autoscaler.enabled
      ? `  autoscaler: detached in ${clusterNames(spec.name).container('autoscaler')} (live view: ${hint('logs autoscaler --follow', choice)})\n`
      : '') +
    `  healer:   ${clusterNames(spec.name).container('autoscaler')} brings back stopped or removed members (its events: in status)\n` +
    `  status:   ${hint('status', choice)}\n` +
    `  logs:     ${hint('logs web', choice)}\n` +
    `  stop:     ${hint('down', choice)}\n` +
    (r.migrateReport?.missing.length ? `\n${missingFromDiskAdvice(r.migrateReport, clusterNames(spec.name).container('web', 1))}` : '')
  );
}
