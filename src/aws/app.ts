// The CDK app entry the cdk CLI runs (`cdk --app "node --import tsx src/aws/app.ts"`): reads the
// spec (MOODLE_HA_SPEC, else ./moodle-ha.yaml, else defaults) and the image to deploy, builds the
// stacks and synthesizes them. `moodle-ha diff|deploy|destroy` set these variables:
//   MOODLE_HA_SPEC         spec file
//   MOODLE_HA_CWD          folder the spec is looked for and relative paths resolve in
//   MOODLE_HA_IMAGE_DIR    build context of the runtime image (built as a CDK asset), or
//   MOODLE_HA_IMAGE_TAG    a tag in the pipeline's ECR repository
//   MOODLE_HA_DELETE_DATA  "1": lift RETAIN, snapshots and deletion protection (destroy --delete-data)
//   MOODLE_HA_OVERRIDES    JSON merged over the spec file, as command-line flags are (aws restore:
//                          the new name, domain and aws.restore)
import { App } from 'aws-cdk-lib';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readSpec } from '../spec/read.ts';
import { isUserError } from '../util/errors.ts';
import { buildMoodleApp, type ImageChoice } from './build-app.ts';

export const ENV = {
  spec: 'MOODLE_HA_SPEC',
  cwd: 'MOODLE_HA_CWD',
  imageDir: 'MOODLE_HA_IMAGE_DIR',
  imageTag: 'MOODLE_HA_IMAGE_TAG',
  deleteData: 'MOODLE_HA_DELETE_DATA',
  overrides: 'MOODLE_HA_OVERRIDES',
} as const;

export function imageFromEnv(env: NodeJS.ProcessEnv): ImageChoice | undefined {
  if (env[ENV.imageTag]) return { tag: env[ENV.imageTag]! };
  if (env[ENV.imageDir]) return { directory: resolve(env[ENV.imageDir]!) };
  return undefined;
}

export function synthFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  const cwd = env[ENV.cwd] ?? process.cwd();
  const overrides = env[ENV.overrides] ? (JSON.parse(env[ENV.overrides]!) as Record<string, unknown>) : undefined;
  const loaded = readSpec({ file: env[ENV.spec] || undefined, cwd, overrides });
  const built = buildMoodleApp({
    spec: loaded.spec,
    baseDir: loaded.baseDir,
    image: imageFromEnv(env),
    deleteData: env[ENV.deleteData] === '1',
    app: new App(),
  });
  built.app.synth();
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    synthFromEnv();
  } catch (e) {
    if (!isUserError(e)) throw e;
    process.stderr.write(`error: ${e.message}\n${e.details.map((d) => `  - ${d}\n`).join('')}`);
    process.exit(2);
  }
}
