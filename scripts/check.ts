// Every check a contributor runs before pushing, and CI runs before the tests (npm run check):
// the types, then `npm run lint` and every `check:*` script of package.json, in its order (layers,
// format, dead code, shell scripts, PHP). Each runs even when an earlier one failed, so one run
// shows every problem; the exit code is 1 when any failed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The npm scripts `npm run check` runs, in order. */
export function checksToRun(scripts: Record<string, string>): string[] {
  return ['typecheck', 'lint', ...Object.keys(scripts).filter((name) => name.startsWith('check:'))].filter((name) => name in scripts);
}

function main(): number {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const results = checksToRun(pkg.scripts).map((name) => {
    console.log(`\n=== npm run ${name}`);
    const t0 = Date.now();
    const r = spawnSync('npm', ['run', '--silent', name], { cwd: ROOT, stdio: 'inherit' });
    return { name, ok: r.status === 0, seconds: (Date.now() - t0) / 1000 };
  });
  const failed = results.filter((r) => !r.ok);
  console.log(`\n${results.map((r) => `${r.ok ? 'ok    ' : 'FAILED'} ${r.name} (${r.seconds.toFixed(1)} s)`).join('\n')}`);
  console.log(failed.length ? `checks failed: ${failed.map((r) => r.name).join(', ')}` : `all ${results.length} checks passed`);
  return failed.length ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
