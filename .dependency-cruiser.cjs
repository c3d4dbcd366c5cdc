// The layers of src/ and the imports between them, checked by dependency-cruiser:
//   npm run check:layers        (part of `npm run check`, which CI runs)
// Each layer may import only the layers it names in `mayImport` (and itself). Bottom first: a lower
// layer never imports a higher one. docs/ARCHITECTURE.md "Layers" is drawn from LAYERS by
// scripts/gen-docs.ts (a test keeps it current), and test/unit/layers.test.ts runs these rules on
// small fixture trees (test/fixtures/layers/) so that deleting or loosening a rule fails a test.
// test/, bench/ and scripts/ are outside the layers: they may import anything.
'use strict';

/** @type {readonly { name: string, what: string, mayImport: readonly string[] }[]} */
const LAYERS = [
  { name: 'util', what: 'errors, paths, HTTP, progress: no project knowledge, no other layer; every layer may import it', mayImport: [] },
  { name: 'spec', what: 'the cluster spec (moodle-ha.yaml): schema, units, validation', mayImport: ['util'] },
  { name: 'contract', what: 'what the runtime image reads (env, paths, timeouts, metrics)', mayImport: ['util', 'spec'] },
  { name: 'moodle', what: 'the Moodle source cache: version, import, download, plugins', mayImport: ['util', 'spec', 'contract'] },
  {
    name: 'image',
    what: 'what goes into the images: build contexts, service image facts (builds run in the targets)',
    mayImport: ['util', 'spec', 'contract', 'moodle'],
  },
  { name: 'runtime', what: 'the interface a cluster target implements', mayImport: ['util', 'spec', 'contract', 'moodle', 'image'] },
  { name: 'aws', what: 'the AWS target (CDK app); never imports local', mayImport: ['util', 'spec', 'contract', 'moodle', 'image', 'runtime'] },
  { name: 'local', what: 'the one-machine Docker target; never imports aws', mayImport: ['util', 'spec', 'contract', 'moodle', 'image', 'runtime'] },
  { name: 'ops', what: 'drills, load, autoscaler: through the runtime interface only, never a target', mayImport: ['util', 'spec', 'contract', 'runtime'] },
  { name: 'cli', what: 'entry point: the moodle-ha commands', mayImport: ['*'] },
  { name: 'autoscaler-daemon', what: 'entry point: the detached autoscaler', mayImport: ['*'] },
];

const ALL = LAYERS.map((l) => l.name);
const folders = (names) => `^src/(${names.join('|')})/`;

/** One rule per layer: from that layer's folder, nothing in src/ outside what it may import. */
const layerRules = LAYERS.map((l) => {
  const allowed = l.mayImport.includes('*') ? ALL : [...new Set([...l.mayImport, l.name])];
  const forbidden = ALL.filter((n) => !allowed.includes(n));
  return {
    name: `layer-${l.name}`,
    severity: 'error',
    comment:
      `src/${l.name}/ (${l.what}) may import ${l.mayImport.includes('*') ? 'every layer' : l.mayImport.length ? l.mayImport.join(', ') : 'nothing else in src/'}` +
      (forbidden.length ? `, not ${forbidden.join(', ')}` : '') +
      ': move the code to the layer that owns it, or the shared fact down to a layer both may import',
    from: { path: `^src/${l.name}/` },
    to: { path: '^src/', pathNot: folders(allowed) },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-unknown-folder',
      severity: 'error',
      comment: `every folder of src/ is a layer (${ALL.join(', ')}): put a new folder in LAYERS in .dependency-cruiser.cjs, with what it may import`,
      from: { path: '^src/', pathNot: folders(ALL) },
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import cycle in src/, type-only imports included: move what both modules need into a third one',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'docker-client-only-in-local',
      severity: 'error',
      comment: 'the Docker client (dockerode) only under src/local/, the target that drives Docker: elsewhere, go through the runtime interface',
      from: { path: '^src/', pathNot: '^src/local/' },
      to: { path: '(^|/)node_modules/(@types/)?dockerode/' },
    },
    {
      name: 'cdk-only-in-aws',
      severity: 'error',
      comment: 'aws-cdk-lib, constructs and cdk-nag only under src/aws/ and src/cli/ (about 1,100 modules to load): the rest of src/ must not need the CDK',
      from: { path: '^src/', pathNot: '^src/(aws|cli)/' },
      to: { path: '(^|/)node_modules/(aws-cdk-lib|constructs|cdk-nag)/' },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    // Type-only imports are dependencies too: a type cycle is still a cycle, and a type from a
    // target in ops/ still ties ops to that target.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};

// For scripts/layers-doc.ts and test/unit/layers.test.ts. Not enumerable: dependency-cruiser
// rejects a configuration with keys it does not know.
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });
