// `npm run check` (scripts/check.ts) runs every check the project has, CI runs it before the
// tests with the tools it needs installed, and package.json has no build that builds nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checksToRun } from '../../scripts/check.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

test('npm run check runs the types, lint, layers, format, dead code, shell and PHP checks', () => {
  assert.deepEqual(checksToRun(pkg.scripts), ['typecheck', 'lint', 'check:layers', 'check:format', 'check:dead', 'check:shell', 'check:php']);
  assert.match(pkg.scripts['check:layers'] ?? '', /^depcruise src --config \.dependency-cruiser\.cjs$/);
  assert.match(pkg.scripts.lint ?? '', /^biome lint --error-on-warnings$/);
  assert.match(pkg.scripts['check:format'] ?? '', /^biome format$/);
});

test('a check:* script added to package.json is run by npm run check', () => {
  assert.deepEqual(checksToRun({ typecheck: 'tsc', lint: 'x', 'check:new': 'y', test: 'z' }), ['typecheck', 'lint', 'check:new']);
});

test('.ci/run installs shellcheck and php-cli, and runs npm run check before npm test', () => {
  const ci = read('.ci/run');
  assert.match(ci, /^apt_install shellcheck php-cli$/m);
  const check = ci.search(/^npm run check$/m);
  const tests = ci.search(/^npm test$/m);
  assert.ok(check > 0 && tests > check, 'npm run check must come before npm test, each on its own line');
});

test('no build script: the project runs its TypeScript with tsx and tsc emits nothing', () => {
  assert.equal(pkg.scripts.build, undefined);
  assert.match(read('tsconfig.json'), /"noEmit": true/);
  assert.doesNotMatch(read('README.md'), /npm run build/);
});
