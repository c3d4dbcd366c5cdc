// The layer rules (.dependency-cruiser.cjs), run with dependency-cruiser's own API on small trees:
// a fixture tree with one forbidden import of each kind (test/fixtures/layers/), and a generated
// tree with an import between every two layers, judged against the architecture stated here
// independently of the rule file. Deleting or loosening a rule fails one of these tests.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cruise, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { ARCHITECTURE_DOC_FILE, currentLayersDoc, LAYERS, renderLayersDoc, RULE_FILE } from '../../scripts/layers-doc.ts';
import { tempDir } from '../support/temp.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'layers');

/** "rule: from → to" for each violation of the rule file in the tree at `baseDir` (paths relative to it). */
async function violations(baseDir: string): Promise<string[]> {
  const options = await extractDepcruiseOptions(RULE_FILE);
  const result = await cruise(['src'], { ...options, baseDir });
  if (typeof result.output === 'string') throw new Error(`dependency-cruiser returned text, not a result: ${result.output}`);
  const name = (v: IViolation) =>
    v.cycle ? [v.from, ...v.cycle.map((c) => c.name)].join(' → ') : `${v.from} → ${v.to.replace(/^.*node_modules\/([^/]+)\/.*$/, 'npm:$1')}`;
  return result.output.summary.violations.map((v) => `${v.rule.name}: ${name(v)}`).sort();
}

describe('layer rules on the fixture tree', () => {
  test('each forbidden import fails with its rule; the allowed ones (ok-*) pass', async () => {
    assert.deepEqual(await violations(FIXTURE), [
      'cdk-only-in-aws: src/ops/uses-cdk.ts → npm:aws-cdk-lib',
      'docker-client-only-in-local: src/ops/uses-docker.ts → npm:dockerode',
      'layer-aws: src/aws/uses-local.ts → src/local/ok-cluster.ts',
      'layer-local: src/local/uses-aws.ts → src/aws/ok-stack.ts',
      'layer-ops: src/ops/uses-local.ts → src/local/ok-cluster.ts',
      'layer-spec: src/spec/uses-contract.ts → src/contract/ok-env.ts',
      'layer-unknown-folder: src/stray/unplaced.ts → src/util/text.ts',
      'no-circular: src/ops/cycle-html.ts → src/ops/cycle-result.ts → src/ops/cycle-html.ts',
    ]);
  });
});

// The architecture (issue 11), bottom first: a layer imports only layers on a lower level, except
// that ops reaches a cluster only through runtime, and the entry points import anything.
const LEVELS: readonly (readonly string[])[] = [
  ['util'],
  ['spec'],
  ['contract'],
  ['moodle'],
  ['image'],
  ['runtime'],
  ['aws', 'local'],
  ['ops'],
  ['cli', 'autoscaler-daemon'],
];
const OPS_MAY_IMPORT = ['util', 'spec', 'contract', 'runtime'];
const ENTRY_POINTS = ['cli', 'autoscaler-daemon'];
const level = (layer: string) => LEVELS.findIndex((l) => l.includes(layer));
const allowed = (from: string, to: string) =>
  from === to || ENTRY_POINTS.includes(from) || (from === 'ops' ? OPS_MAY_IMPORT.includes(to) : level(to) < level(from));

describe('layer rules between every two layers', () => {
  const names = LEVELS.flat();
  const dir = tempDir('moodle-ha-layers-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the rule file has exactly the layers of the architecture, bottom first', () => {
    assert.deepEqual(
      LAYERS.map((l) => l.name),
      names,
    );
  });

  test('an import is forbidden exactly when the architecture forbids it', async () => {
    for (const to of names) {
      mkdirSync(join(dir, 'src', to), { recursive: true });
      writeFileSync(join(dir, 'src', to, 'leaf.ts'), 'export const leaf = 1;\n');
    }
    for (const from of names) {
      for (const to of names.filter((n) => n !== from)) {
        writeFileSync(join(dir, 'src', from, `to-${to}.ts`), `import { leaf } from '../${to}/leaf.ts';\nexport const x = leaf;\n`);
      }
    }
    const expected = names
      .flatMap((from) => names.filter((to) => !allowed(from, to)).map((to) => `layer-${from}: src/${from}/to-${to}.ts → src/${to}/leaf.ts`))
      .sort();
    assert.deepEqual(await violations(dir), expected);
  });
});

describe('docs/ARCHITECTURE.md', () => {
  test('its picture of the layers is the one drawn from the rule file (run `npm run docs` when this fails)', () => {
    assert.equal(currentLayersDoc(readFileSync(ARCHITECTURE_DOC_FILE, 'utf8')), renderLayersDoc());
  });
});
