// The env contract (src/contract/env.ts) against what the runtime image really reads: every name
// the image's PHP and shell scripts read is declared, every declared name is read, the defaults
// and requiredness written in the scripts equal the contract's, and docs/env.md is current.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AWS_PLATFORM_VARS, ENV_DOC_FILE, renderEnvDoc } from '../../scripts/gen-docs.ts';
import { ENV_CONTRACT, FILE_SUFFIX, acceptedNames, checkEnvironment, type EnvVar } from '../../src/contract/env.ts';
import { IMAGE_MODES } from '../../src/contract/image.ts';
import { EXTERNAL_TOOLS, OMITTED_TOOLS } from '../../src/contract/external-tools.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROOTFS = join(ROOT, 'images', 'runtime', 'rootfs');

/** One place a script reads a variable. `fallback` is the literal default, if the script writes one. */
interface Read {
  readonly name: string;
  readonly where: string;
  /** string: a literal default ('' = optional, no value); null: required (no default); undefined: not literal / unknown. */
  readonly fallback: string | null | undefined;
  readonly bool?: boolean;
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** A PHP literal argument ('x' or "x" without interpolation), or undefined when not literal. */
function phpLiteral(arg: string): string | undefined {
  const m = /^\s*'((?:[^'\\]|\\.)*)'\s*$/.exec(arg) ?? /^\s*"([^"$\\]*)"\s*$/.exec(arg);
  return m ? m[1]!.replace(/\\(['\\])/g, '$1') : undefined;
}

export function scanPhp(text: string, file: string): Read[] {
  const reads: Read[] = [];
  const at = (i: number) => `${file}:${lineOf(text, i)}`;
  for (const m of text.matchAll(/\bgetenv\(\s*(['"])([A-Za-z0-9_]+)\1\s*\)/g)) {
    reads.push({ name: m[2]!, where: at(m.index), fallback: undefined });
  }
  for (const m of text.matchAll(/\bmh_(env|secret|bool)\(\s*(['"])([A-Za-z0-9_]+)\2\s*(?:,\s*([^)]*?))?\s*\)/g)) {
    const [, fn, , name, arg] = m;
    const where = at(m.index);
    if (fn === 'env') {
      reads.push({ name: name!, where, fallback: arg === undefined ? null : phpLiteral(arg) });
    } else if (fn === 'bool') {
      const lit = arg?.trim();
      reads.push({ name: name!, where, bool: true, fallback: lit === 'true' || lit === 'false' ? lit : undefined });
    } else {
      const required = arg === undefined || arg.trim() === 'true';
      const optional = arg?.trim() === 'false';
      const fallback = required ? null : optional ? '' : undefined;
      reads.push({ name: name!, where, fallback }, { name: name! + FILE_SUFFIX, where, fallback });
    }
  }
  return reads;
}

export function scanShell(text: string, file: string): Read[] {
  const reads: Read[] = [];
  const at = (i: number) => `${file}:${lineOf(text, i)}`;
  for (const m of text.matchAll(/\$\{(MOODLE_[A-Z0-9_]+)(?:(:?[-?=+])([^}]*))?\}/g)) {
    const [, name, op, word] = m;
    let fallback: string | null | undefined;
    if (op === undefined || op.endsWith('?'))
      fallback = null; // set -u / ${X:?}: must be set
    else if (op.endsWith('-') || op.endsWith('=')) fallback = /[$`]/.test(word!) ? undefined : word!.replace(/^(['"])(.*)\1$/, '$2');
    reads.push({ name: name!, where: at(m.index), fallback });
  }
  for (const m of text.matchAll(/\$(MOODLE_[A-Z0-9_]+)/g)) reads.push({ name: m[1]!, where: at(m.index), fallback: null });
  return reads;
}

function scanImage(): Read[] {
  return files(ROOTFS).flatMap((abs) => {
    const text = readFileSync(abs, 'utf8');
    const rel = relative(ROOT, abs);
    if (abs.endsWith('.php')) return scanPhp(text, rel);
    if (/^#!.*\b(ba)?sh\b/.test(text)) return scanShell(text, rel);
    return [];
  });
}

const reads = scanImage();
const byName = (name: string) => reads.filter((r) => r.name === name);
const contract = new Map<string, EnvVar>(ENV_CONTRACT.map((v) => [v.name, v]));
const declared = new Set(IMAGE_MODES.flatMap((m) => acceptedNames(m)));
const platform = new Set<string>(AWS_PLATFORM_VARS);

function diff(a: Iterable<string>, b: Set<string>): string[] {
  return [...new Set([...a].filter((x) => !b.has(x)))].sort();
}

describe('the scanner finds reads (so the checks below cannot pass by finding nothing)', () => {
  test('PHP: getenv, mh_env with and without a default, mh_secret with its _FILE form, mh_bool', () => {
    const found = scanPhp(`<?php getenv('A_X'); mh_env('B', '33'); mh_env('C'); mh_secret('D', false); mh_bool('E', true); mh_env('F', $x);`, 'f.php');
    const got = Object.fromEntries(found.map((r) => [r.name, r.fallback]));
    assert.deepEqual(got, { A_X: undefined, B: '33', C: null, D: '', D_FILE: '', E: 'true', F: undefined });
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the name of a test of the shell's parameter expansion
  test('shell: ${X:-default}, ${X:-}, ${X:?msg} and $X', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell code, scanned as the image's scripts are
    const found = scanShell('a="${MOODLE_A:-8}"; b="${MOODLE_B:-}"; c="${MOODLE_C:?need}"; echo $MOODLE_D $OTHER', 'f.sh');
    assert.deepEqual(Object.fromEntries(found.map((r) => [r.name, r.fallback])), { MOODLE_A: '8', MOODLE_B: '', MOODLE_C: null, MOODLE_D: null });
  });
  test('the image reads a plausible number of variables', () => {
    assert.ok(new Set(reads.map((r) => r.name)).size >= 20, `only ${reads.length} reads found under ${ROOTFS}`);
    assert.ok(
      reads.some((r) => r.where.includes('usr/local/bin/')),
      'no reads found in the shell entrypoint scripts',
    );
  });
});

describe('every name the image reads is in the contract, and every contract name is read', () => {
  test('no undeclared reads (outside the AWS platform variables of the S3 bundle loader and the cron metric)', () => {
    const undeclared = diff(
      reads.map((r) => r.name),
      new Set([...declared, ...platform]),
    );
    const detail = undeclared
      .map(
        (n) =>
          `  ${n} (read at ${byName(n)
            .map((r) => r.where)
            .join(', ')})`,
      )
      .join('\n');
    assert.deepEqual(undeclared, [], `the image reads names missing from ENV_CONTRACT (src/contract/env.ts):\n${detail}`);
  });
  test('no dead contract entries', () => {
    const read = new Set(reads.map((r) => r.name));
    const dead = ENV_CONTRACT.filter((v) => !read.has(v.name)).map((v) => v.name);
    assert.deepEqual(dead, [], `ENV_CONTRACT declares names the image never reads: ${dead.join(', ')}`);
  });
  test('the AWS platform list is exact: each is read, only by the S3 bundle loader and the cron metric', () => {
    const unread = AWS_PLATFORM_VARS.filter((n) => byName(n).length === 0);
    assert.deepEqual(unread, [], `AWS_PLATFORM_VARS (scripts/gen-docs.ts) lists names nothing reads: ${unread.join(', ')}`);
    const elsewhere = reads.filter((r) => platform.has(r.name) && !r.where.includes('s3-bundle.php:') && !r.where.includes('cron-metrics.php:'));
    assert.deepEqual(
      elsewhere.map((r) => `${r.name} at ${r.where}`),
      [],
    );
    const clash = AWS_PLATFORM_VARS.filter((n) => declared.has(n));
    assert.deepEqual(clash, [], 'a name is both in the contract and in the platform list');
  });
  test('secrets are read with mh_secret (so their _FILE form works), other names are not', () => {
    const wrong: string[] = [];
    for (const v of ENV_CONTRACT) {
      const hasFile = byName(v.name + FILE_SUFFIX).length > 0;
      if (Boolean(v.secret) !== hasFile) wrong.push(`${v.name}: contract secret=${Boolean(v.secret)}, image reads ${v.name}${FILE_SUFFIX}: ${hasFile}`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe('defaults and requiredness in the contract equal those written in the image', () => {
  test('literal defaults are equal', () => {
    const wrong: string[] = [];
    for (const r of reads) {
      const v = contract.get(r.name);
      if (!v || typeof r.fallback !== 'string' || r.fallback === '') continue;
      if (v.default !== r.fallback)
        wrong.push(`${r.name}: image default '${r.fallback}' at ${r.where}, contract default ${v.default === undefined ? '(none)' : `'${v.default}'`}`);
    }
    assert.deepEqual(wrong, [], `defaults differ:\n${wrong.join('\n')}`);
  });
  test('every contract default is written in the image', () => {
    const missing = ENV_CONTRACT.filter((v) => v.default !== undefined && !byName(v.name).some((r) => r.fallback === v.default));
    assert.deepEqual(
      missing.map(
        (v) =>
          `${v.name} (contract default '${v.default}'; image: ${byName(v.name)
            .map((r) => `${JSON.stringify(r.fallback)} at ${r.where}`)
            .join(', ')})`,
      ),
      [],
    );
  });
  test('names the image requires are required in the contract, and optional ones are not', () => {
    const wrong: string[] = [];
    for (const v of ENV_CONTRACT) {
      const rs = byName(v.name).filter((r) => r.fallback !== undefined);
      const imageRequires = rs.some((r) => r.fallback === null);
      const imageOptional = rs.some((r) => typeof r.fallback === 'string');
      if (v.required && imageOptional && !imageRequires) wrong.push(`${v.name}: contract says required, the image has a default`);
      if (!v.required && imageRequires)
        wrong.push(
          `${v.name}: contract says optional, the image fails without it (${rs
            .filter((r) => r.fallback === null)
            .map((r) => r.where)
            .join(', ')})`,
        );
      if (v.required && v.default !== undefined) wrong.push(`${v.name}: required and has a default`);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
  });
  test('booleans read with mh_bool allow exactly true and false', () => {
    const bools = [...new Set(reads.filter((r) => r.bool).map((r) => r.name))];
    assert.ok(bools.length >= 2, 'expected mh_bool reads (MOODLE_SSLPROXY, MOODLE_REDIS_TLS)');
    for (const n of bools) assert.deepEqual([...(contract.get(n)?.values ?? [])].sort(), ['false', 'true'], `${n} values`);
  });
});

describe('checkEnvironment', () => {
  const web = { MOODLE_WWWROOT: 'http://x', MOODLE_DB_HOST: 'db', MOODLE_REDIS_HOST: 'redis', MOODLE_DB_PASSWORD_FILE: '/run/moodle-ha/secrets/db' };
  test('a complete web environment keeps the contract', () => {
    assert.deepEqual(checkEnvironment('web', web), []);
  });
  test('a secret given by name (as ECS secrets are) counts as present', () => {
    const { MOODLE_DB_PASSWORD_FILE: _f, ...rest } = web;
    assert.deepEqual(checkEnvironment('web', rest, ['MOODLE_DB_PASSWORD']), []);
  });
  test('an unknown name is reported, with a typo too', () => {
    const p = checkEnvironment('web', { ...web, MOODLE_WWWROT: 'x' });
    assert.equal(p.length, 1);
    assert.match(p[0]!, /^MOODLE_WWWROT is not in the image's contract for mode web/);
  });
  test('a name declared for another mode is unknown in this one', () => {
    assert.match(
      checkEnvironment('web', { ...web, MOODLE_MIGRATE_MAINTENANCE: 'keep' }).join('\n'),
      /MOODLE_MIGRATE_MAINTENANCE is not in the image's contract for mode web/,
    );
  });
  test('a missing required variable is reported; a missing secret names its _FILE form', () => {
    const { MOODLE_DB_HOST: _h, MOODLE_DB_PASSWORD_FILE: _p, ...rest } = web;
    const p = checkEnvironment('web', rest);
    assert.deepEqual(p.sort(), ['MOODLE_DB_HOST is required in mode web', 'MOODLE_DB_PASSWORD (or MOODLE_DB_PASSWORD_FILE) is required in mode web']);
  });
  test('migrate needs the admin password too', () => {
    assert.deepEqual(checkEnvironment('migrate', web), ['MOODLE_ADMIN_PASSWORD (or MOODLE_ADMIN_PASSWORD_FILE) is required in mode migrate']);
  });
  test('a secret given as a plain value is refused', () => {
    const p = checkEnvironment('web', { ...web, MOODLE_REDIS_PASSWORD: 'hunter2' });
    assert.equal(p.length, 1);
    assert.match(p[0]!, /MOODLE_REDIS_PASSWORD is a secret: .*MOODLE_REDIS_PASSWORD_FILE, never as a plain value/);
    assert.ok(!p[0]!.includes('hunter2'), 'the message must not echo the secret');
  });
  test('a value outside the allowed set is reported with the allowed values', () => {
    assert.deepEqual(checkEnvironment('web', { ...web, MOODLE_DB_TLS: 'yes' }), ['MOODLE_DB_TLS=yes is not one of off, require, verify-full']);
    assert.deepEqual(checkEnvironment('web', { ...web, MOODLE_DB_TLS: 'require', MOODLE_OPCACHE_VALIDATE: 'true' }), []);
  });
  test('all problems are reported at once', () => {
    assert.equal(checkEnvironment('cron', { MOODLE_X: '1', MOODLE_SSLPROXY: 'maybe' }).length, 1 + 1 + 4);
  });
});

describe('docs/env.md', () => {
  test('equals what scripts/gen-docs.ts generates (run "npm run docs" after changing the contract)', () => {
    assert.equal(readFileSync(ENV_DOC_FILE, 'utf8'), renderEnvDoc());
  });
  test('has one table row per contract variable, with secrets named in both forms', () => {
    const doc = renderEnvDoc();
    for (const v of ENV_CONTRACT) {
      const rowText = doc.split('\n').find((l) => l.startsWith(`| \`${v.name}\` |`));
      assert.ok(rowText, `no row for ${v.name}`);
      if (v.secret) assert.ok(rowText.includes(`secret: \`${v.name}\` or \`${v.name}${FILE_SUFFIX}\``), `${v.name} row does not name its _FILE form`);
      if (v.default) assert.ok(rowText.includes(`\`${v.default}\``), `${v.name} row lacks its default`);
    }
    const table = doc.slice(0, doc.indexOf('\n## '));
    assert.equal(table.split('\n').filter((l) => l.startsWith('| `')).length, ENV_CONTRACT.length);
  });
  test("config.php forces Moodle's path to each program the image has, and no other", () => {
    const config = readFileSync(join(ROOTFS, 'opt', 'moodle-ha', 'php', 'config.php'), 'utf8');
    const forced = [...config.matchAll(/^\$CFG->(path\w+|aspellpath) = '([^']+)';$/gm)].map((m) => `${m[1]}=${m[2]}`).sort();
    assert.deepEqual(forced, EXTERNAL_TOOLS.map((t) => `${t.setting}=${t.path}`).sort());
    const dockerfile = readFileSync(join(ROOT, 'images', 'runtime', 'Dockerfile'), 'utf8');
    for (const t of EXTERNAL_TOOLS.filter((x) => !x.essential))
      assert.match(dockerfile, new RegExp(`\\b${t.debianPackage.replace('.', '\\.')}\\b`), `the Dockerfile installs ${t.debianPackage}`);
  });
  test('lists each program the image has with its path, and each left out with why', () => {
    const doc = renderEnvDoc();
    for (const t of EXTERNAL_TOOLS) assert.ok(doc.includes(`| \`${t.setting}\` | \`${t.path}\` | \`${t.debianPackage}\` |`), `no row for ${t.setting}`);
    for (const t of OMITTED_TOOLS) assert.ok(doc.includes(`| \`${t.setting}\` | ${t.tool} |`), `no row for ${t.setting}`);
  });
  test('a pipe in a description does not break the table', () => {
    const doc = renderEnvDoc([{ name: 'X', modes: ['web'], required: false, description: 'a | b' }]);
    assert.match(doc, /\| a \\\| b \|/);
  });
});
