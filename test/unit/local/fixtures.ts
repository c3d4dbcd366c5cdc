// Shared by the local target's unit tests: specs, image tags and secrets that need no Docker, and a
// reader of HAProxy configuration files by section, so a test asserts the lines of one section.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningCluster } from '../../../src/local/backup/cluster.ts';
import type { ContainerSpec } from '../../../src/local/containers.ts';
import { clusterNames } from '../../../src/local/names.ts';
import type { Secrets } from '../../../src/local/secrets.ts';
import type { ImageTags } from '../../../src/local/services.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import type { Spec } from '../../../src/spec/schema.ts';
import { tempDir } from '../../support/temp.ts';

export const TAGS: ImageTags = {
  runtime: 'moodle-ha/runtime:r1',
  mariadb: 'moodle-ha/mariadb:m1',
  redis: 'moodle-ha/redis:x1',
  haproxy: 'moodle-ha/haproxy:h1',
  mail: 'moodle-ha/mail:p1',
};

/** Distinct values, so a test can tell which secret went where. */
export const SECRETS: Secrets = { 'db-password': 'db-secret-value', 'redis-password': 'redis-secret-value', 'admin-password': 'admin-secret-value' };

export function devSpec(raw: Record<string, unknown> = {}): Spec {
  return validateSpec({ name: 'campus', ...raw });
}

export function haSpec(raw: Record<string, unknown> = {}): Spec {
  return validateSpec({ name: 'campus', profile: 'ha', ...raw });
}

/** A fresh state root (MOODLE_HA_STATE) for tests that write the cluster's state folder. */
export function freshStateRoot(prefix: string): string {
  const dir = tempDir(`moodle-ha-${prefix}-`);
  process.env.MOODLE_HA_STATE = dir;
  return dir;
}

/**
 * A HAProxy configuration by section: "global", "defaults", "frontend http", "backend web", … →
 * its lines, trimmed, without comments and blank lines. A section name seen twice is an error.
 */
export function haproxySections(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trimEnd();
    if (!line.trim()) continue;
    if (/^\S/.test(line)) {
      if (sections.has(line)) throw new Error(`section "${line}" appears twice`);
      current = [];
      sections.set(line, current);
    } else {
      if (!current) throw new Error(`"${line.trim()}" is outside any section`);
      current.push(line.trim());
    }
  }
  return sections;
}

/** The lines of one section; fails naming the sections there are. */
export function section(sections: Map<string, string[]>, name: string): string[] {
  const s = sections.get(name);
  if (!s) throw new Error(`no section "${name}"; the sections are: ${[...sections.keys()].join(', ')}`);
  return s;
}

/**
 * Fails unless `lines` holds `line`, listing the lines there are. (Use it, or give assert.ok a
 * message: without one, node's assert reads the test's source to describe the failure, which took
 * minutes under tsx.)
 */
export function assertHasLine(lines: readonly string[], line: string, what = 'the lines'): void {
  if (!lines.includes(line)) assert.fail(`expected "${line}" in ${what}:\n  ${lines.join('\n  ')}`);
}

/** A running cluster as backup and restore see it, without asking Docker. */
export function runningClusterOf(spec: Spec): RunningCluster {
  return {
    spec,
    names: clusterNames(spec.name),
    profile: spec.profile,
    images: TAGS,
    webNodes: [`${spec.name}-web-1`, `${spec.name}-web-2`],
    runningWebNodes: [`${spec.name}-web-1`, `${spec.name}-web-2`],
    cronRunning: true,
    cron: `${spec.name}-cron`,
    secrets: SECRETS,
  };
}

/**
 * Runs a helper container's `bash -c` script here: `replace` rewrites container paths to local
 * ones, `shims` are commands put first on PATH (name → shell body, e.g. `cat`), `input` is stdin.
 */
export function runHelperScript(
  c: ContainerSpec,
  opts: { replace?: ReadonlyArray<[string, string]>; shims?: Readonly<Record<string, string>>; input?: Buffer } = {},
): { status: number | null; stdout: Buffer; stderr: string } {
  assert.deepEqual(c.cmd?.slice(0, 2), ['bash', '-c'], `${c.name} does not run a bash script`);
  let script = c.cmd![2]!;
  for (const [from, to] of opts.replace ?? []) script = script.replaceAll(from, to);
  const bin = tempDir('moodle-ha-shims-');
  for (const [name, body] of Object.entries(opts.shims ?? {})) {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const r = spawnSync('bash', ['-c', script], { input: opts.input, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}
