// Checks the code that TypeScript does not: every shell script with shellcheck, every PHP file with
// `php -l` (the runtime image's PHP and the test fixtures'). Both tools come from Debian's packages
// (shellcheck, php-cli); .ci/run installs them.
//   node --import tsx scripts/check-scripts.ts shell|php      (npm run check:shell, npm run check:php)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where shell scripts and PHP files live (relative to the repository). */
const FOLDERS = ['images', '.ci', 'scripts', 'bin', 'test'];

/** Every file under the folders (node_modules and dot-folders other than .ci left out), sorted. */
function files(root: string): string[] {
  return FOLDERS.map((f) => join(root, f))
    .filter((d) => existsSync(d))
    .flatMap((d) =>
      readdirSync(d, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name)),
    )
    .filter(
      (p) =>
        !relative(root, p)
          .split('/')
          .some((part, i) => part === 'node_modules' || (i > 0 && part.startsWith('.'))),
    )
    .map((p) => relative(root, p))
    .sort();
}

/** Shell scripts: named *.sh, or starting with a #! line that runs sh, bash or dash. */
export function shellScripts(root = ROOT): string[] {
  return files(root).filter((f) => f.endsWith('.sh') || /^#!\S*\/(?:env\s+)?(?:ba|da)?sh\b/.test(readFileSync(join(root, f), 'utf8').slice(0, 100)));
}

export function phpFiles(root = ROOT): string[] {
  return files(root).filter((f) => f.endsWith('.php'));
}

export interface CheckResult {
  readonly ok: boolean;
  /** What the tool said about the files that failed (empty when ok). */
  readonly report: string;
}

function tool(name: string, pkg: string): void {
  if (spawnSync(name, ['--version'], { stdio: 'ignore' }).error) {
    throw new Error(`${name} is not installed: apt-get install ${pkg} (.ci/run installs it on a fresh machine)`);
  }
}

/** shellcheck on the files; -x follows `source` where a directive names the file sourced. */
export function shellcheck(files: readonly string[], root = ROOT): CheckResult {
  tool('shellcheck', 'shellcheck');
  if (files.length === 0) return { ok: true, report: '' };
  const r = spawnSync('shellcheck', ['-x', '--format=gcc', ...files], { cwd: root, encoding: 'utf8' });
  return { ok: r.status === 0, report: `${r.stdout}${r.stderr}`.trim() };
}

/** `php -l` on each file (it checks one file per run). */
export function phpLint(files: readonly string[], root = ROOT): CheckResult {
  tool('php', 'php-cli');
  const failed = files
    .map((f) => ({ f, r: spawnSync('php', ['-l', '-d', 'display_errors=1', f], { cwd: root, encoding: 'utf8' }) }))
    .filter(({ r }) => r.status !== 0)
    .map(({ f, r }) => `${f}: ${`${r.stdout}${r.stderr}`.trim()}`);
  return { ok: failed.length === 0, report: failed.join('\n') };
}

function main(what: string | undefined): number {
  const checks: Record<string, () => [string[], CheckResult]> = {
    shell: () => {
      const f = shellScripts();
      return [f, shellcheck(f)];
    },
    php: () => {
      const f = phpFiles();
      return [f, phpLint(f)];
    },
  };
  const run = what === undefined ? undefined : checks[what];
  if (!run) {
    console.error(`usage: check-scripts.ts ${Object.keys(checks).join('|')}`);
    return 2;
  }
  const [checked, result] = run();
  if (result.report) console.log(result.report);
  console.log(
    `${what}: ${checked.length} file(s) checked, ${result.ok ? 'no findings' : 'FINDINGS above: fix them, or disable one with a directive that says why'}`,
  );
  return result.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv[2]);
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
