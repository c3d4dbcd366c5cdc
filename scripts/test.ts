// Runs the test tiers with node's test runner and prints one closing line for all of them.
//   unit   - always; no Docker, no Moodle.
//   image  - needs a Docker engine: builds the runtime image with a probe tree, runs containers.
//   moodle - needs Docker and a Moodle tree in the cache: a real cluster with real Moodle.
//   twin   - needs the same: the AWS stack's ECS task definitions run here as ECS would run them,
//            with real Moodle, among stand-ins with AWS's semantics (test/support/ecs-twin/).
// `all` runs every tier; a tier whose needs are missing is skipped LOUDLY, and is a failure when
// the tier was asked for by name, or when CI=true (scripts/test-tiers.ts decides).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cachedMoodleTree, dockerAvailable } from '../test/support/preconditions.ts';
import { removeLeftoverSessions } from '../test/support/containers.ts';
import { removeLeftoverTestClusters, TEST_CLUSTERS } from '../test/support/test-clusters.ts';
import { INSTALL_CACHE_ENV } from '../src/local/install-cache.ts';
import { cacheRoot } from '../src/util/paths.ts';
import { TIERS, type Tier, whyMandatory } from './test-tiers.ts';
import { unitProcesses } from './unit-groups.ts';

const arg = process.argv[2] ?? 'all';
const asked: readonly Tier[] = arg === 'all' ? TIERS : TIERS.filter((t) => t === arg);
if (asked.length === 0) {
  console.error(`unknown tier "${arg}": use one of all, ${TIERS.join(', ')}`);
  process.exit(2);
}
const explicit = arg !== 'all';
const filter = process.argv.slice(3);

const totals = { passed: 0, failed: 0, skipped: 0 };
/** Each failed test's name and error, repeated at the end: a long run's log is often read from its tail. */
const failures: string[] = [];
const skippedTiers: string[] = [];
/** Seconds each file (the unit tier: the whole tier) took, printed at the end: where CI's time goes. */
const took: Array<{ what: string; seconds: number }> = [];
let broken = false;
// First of all, before the unit tier too: what an earlier, killed run left would run beside this one.
// Only when the Moodle tier will run: a run that cannot (no Moodle tree, no engine) leaves the
// engine's clusters alone (test-tiers.test runs this script, and took down a cluster made by hand).
if (asked.some((t) => t === 'moodle' || t === 'twin') && (await missingFor('moodle')) === undefined) await removeLeftovers();
/** How many installs of earlier code the Moodle tier's install cache keeps (shareInstalls). */
const INSTALLS_KEPT = 4;

for (const tier of asked) {
  const missing = await missingFor(tier);
  if (missing) {
    const mandatory = whyMandatory(tier, { explicit, ci: process.env.CI === 'true' });
    banner(mandatory ? `CANNOT RUN: the ${tier} tier (${mandatory}): ${missing}` : `SKIPPED: the ${tier} tier: ${missing}`);
    skippedTiers.push(tier);
    if (mandatory) broken = true;
    continue;
  }
  if (tier === 'moodle') shareInstalls();
  const files = testFiles(join('test', tier)).filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)));
  console.log(`\n=== ${tier} tier: ${files.length} file(s) ===`);
  // Image and Moodle tiers share one Docker engine and one machine: one file at a time.
  for (const group of tier === 'unit' ? [files] : files.map((f) => [f])) {
    if (group.length === 0) continue;
    const tap = join(mkdtempSync(join(tmpdir(), 'moodle-ha-test-')), 'out.tap');
    const processes = tier === 'unit' ? unitProcesses(group, dirname(tap)) : group;
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        // node runs test files on all but one core by default: the unit tier's files are
        // independent processes, so every core (2 on CI's machine, where the default is 1).
        ...(tier === 'unit' ? [`--test-concurrency=${Math.max(2, availableParallelism())}`] : []),
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tap}`,
        ...processes,
      ],
      { stdio: 'inherit' },
    );
    took.push({ what: group.length === 1 ? group[0]! : `${tier} tier (${group.length} files)`, seconds: (Date.now() - t0) / 1000 });
    const counts = readCounts(tap);
    totals.passed += counts.pass;
    totals.failed += counts.fail;
    totals.skipped += counts.skipped;
    failures.push(...failureBlocks(tap).map((b) => (group.length === 1 ? `${group[0]}\n${b}` : b)));
    rmSync(dirname(tap), { recursive: true, force: true });
    if (r.status !== 0 && counts.fail === 0) {
      totals.failed += 1; // the runner itself failed (crash, timeout): count it, never hide it
      console.error(`test runner exited ${r.status} for ${group.join(' ')}`);
    }
  }
}

if (took.length) {
  console.log('\n=== seconds per file ===');
  for (const t of took) console.log(`${t.seconds.toFixed(0).padStart(6)}  ${t.what}`);
}
if (failures.length) {
  console.log(`\n=== ${failures.length} failure(s), again ===`);
  for (const f of failures) console.log(`\n${f}`);
}
if (skippedTiers.length) banner(`tiers not run: ${skippedTiers.join(', ')}`);
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || broken ? 1 : 0);

async function missingFor(tier: Tier): Promise<string | undefined> {
  if (tier === 'unit') return undefined;
  const docker = await dockerAvailable();
  if (docker !== true) return docker;
  if (tier === 'image') return undefined;
  const tree = cachedMoodleTree();
  return tree.found ? undefined : tree.reason;
}

/** Removes the Moodle tier's clusters and the test sessions (image tier, ECS twin) an earlier run left behind, saying which. */
async function removeLeftovers(): Promise<void> {
  const t0 = Date.now();
  const removed = await removeLeftoverTestClusters();
  const sessions = await removeLeftoverSessions();
  const took = `(${((Date.now() - t0) / 1000).toFixed(1)} s)`;
  const what = removed.length ? `removed ${removed.join(', ')}, left by an earlier run ${took}` : 'none left by an earlier run';
  console.log(`test clusters (${Object.values(TEST_CLUSTERS).length} names): ${what}`);
  console.log(`test sessions: ${sessions.length ? `removed ${sessions.join(', ')}, left by an earlier run ${took}` : 'none left by an earlier run'}`);
}

/**
 * One install per code for the Moodle tier: its files bring up many clusters of the same code, and
 * all but the few that test the install itself (they unset it) load a fresh install of that code
 * from the install cache (src/local/install-cache.ts) instead of installing again. The cache lives
 * in the machine's moodle-ha cache, keyed by the runtime image (the code) and the install settings,
 * so a later run of the same code (CI after a check run) installs nothing; a new machine installs
 * once. Only the newest INSTALLS_KEPT installs are kept.
 */
function shareInstalls(): void {
  if (process.env[INSTALL_CACHE_ENV]) return;
  const dir = join(cacheRoot(), 'test-installs');
  mkdirSync(dir, { recursive: true });
  const kept = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ path: join(dir, e.name), at: statSync(join(dir, e.name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of kept.slice(INSTALLS_KEPT)) rmSync(old.path, { recursive: true, force: true });
  process.env[INSTALL_CACHE_ENV] = dir;
  console.log(`moodle tier: one install per code, kept in ${dir} (${INSTALL_CACHE_ENV}; ${Math.min(kept.length, INSTALLS_KEPT)} kept from earlier runs)`);
}

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function readCounts(tapFile: string): { pass: number; fail: number; skipped: number } {
  const text = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  const n = (k: string) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { pass: n('pass'), fail: n('fail') + n('cancelled'), skipped: n('skipped') + n('todo') };
}

/** The TAP blocks of failed tests (`not ok` to its closing `...`), each at most 3,000 characters. */
function failureBlocks(tapFile: string): string[] {
  const lines = existsSync(tapFile) ? readFileSync(tapFile, 'utf8').split('\n') : [];
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*not ok \d+/.test(lines[i]!)) continue;
    const end = lines.findIndex((l, j) => j > i && /^\s*\.\.\.$/.test(l));
    const block = lines.slice(i, end === -1 ? lines.length : end + 1).join('\n');
    blocks.push(block.length > 3000 ? `${block.slice(0, 3000)}\n  … (${block.length - 3000} more characters in the log above)` : block);
  }
  return blocks;
}

function banner(text: string): void {
  const line = '!'.repeat(Math.min(100, text.length + 8));
  console.log(`\n${line}\n!!! ${text}\n${line}`);
}
