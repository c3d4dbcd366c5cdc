// The AWS commands of the CLI: synth works offline without credentials; diff, deploy and destroy
// refuse early with a message that says what to set or change.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { APP_ENTRY, appCommand, appEnvironment } from '../../../src/aws/cli/cdk-cli.ts';
import { findCredentials, looksLikeCredentialFailure, requireCredentials } from '../../../src/aws/cli/credentials.ts';
import { imageChoice } from '../../../src/aws/cli/image-choice.ts';
import { importTree } from '../../../src/moodle/import.ts';
import { UserError } from '../../../src/util/errors.ts';
import { makeFakeTree } from '../../support/fake-moodle.ts';
import { tinyImageDir } from './fixtures.ts';
import { tempDir } from '../../support/temp.ts';

const BIN = resolve('bin/moodle-ha.js');

/** A site folder with a spec, and an environment with no AWS anything and an empty home. */
function site(spec: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir('moodle-ha-site-');
  writeFileSync(join(dir, 'moodle-ha.yaml'), spec);
  const home = join(dir, 'home');
  mkdirSync(home);
  return { dir, env: { PATH: process.env.PATH, HOME: home, NODE_OPTIONS: '' } };
}

function cli(args: string[], where: { dir: string; env: NodeJS.ProcessEnv }) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: where.dir, env: where.env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PRODUCTION_SPEC = 'name: campus\naws:\n  domain: moodle.example.edu\n  hostedZone: { id: Z0123456789ABC, name: example.edu }\n';

describe('moodle-ha synth (subprocess, no credentials, no network)', () => {
  const where = site(PRODUCTION_SPEC);
  const r = cli(['synth', '--image-dir', tinyImageDir()], where);
  test('exits 0 and lists each stack with its region and template', () => {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^campus-edge\tus-east-1\tcdk\.out\/campus-edge\.template\.json$/m);
    assert.match(r.stdout, /^campus\teu-west-1\tcdk\.out\/campus\.template\.json$/m);
    assert.match(r.stderr, /cdk-nag AwsSolutions: no unacknowledged findings/);
  });
  test('the templates are written', () => {
    assert.ok(existsSync(join(where.dir, 'cdk.out', 'campus.template.json')));
    assert.ok(existsSync(join(where.dir, 'cdk.out', 'campus-edge.template.json')));
  });
});

describe('moodle-ha synth --out', () => {
  test('an absolute folder is used as given, not joined to the current folder', () => {
    const where = site(PRODUCTION_SPEC);
    const out = join(tempDir('moodle-ha-out-'), 'assembly');
    const r = cli(['synth', '--image-dir', tinyImageDir(), '--out', out], where);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(out, 'campus.template.json')));
    assert.match(r.stdout, new RegExp(`^campus\teu-west-1\t${out}/campus\\.template\\.json$`, 'm'));
    assert.equal(existsSync(join(where.dir, out.slice(1))), false, 'nothing written under the current folder');
  });
  test('a relative folder is relative to the current folder', () => {
    const where = site(PRODUCTION_SPEC);
    const r = cli(['synth', '--image-dir', tinyImageDir(), '--out', 'out/a'], where);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(where.dir, 'out', 'a', 'campus.template.json')));
  });
});

describe("moodle-ha synth without an image flag (a new user's first synth)", () => {
  test('stages the build context from the cached Moodle tree, as deploy does', () => {
    const cache = tempDir('moodle-ha-cache-');
    const before = process.env.MOODLE_HA_CACHE;
    process.env.MOODLE_HA_CACHE = cache;
    try {
      importTree(makeFakeTree(join(tempDir('moodle-ha-tree-'), 'moodle')));
    } finally {
      if (before === undefined) delete process.env.MOODLE_HA_CACHE;
      else process.env.MOODLE_HA_CACHE = before;
    }
    const where = site(PRODUCTION_SPEC);
    const r = cli(['synth'], { ...where, env: { ...where.env, MOODLE_HA_CACHE: cache } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /runtime image build context staged in .*\.moodle-ha\/image-context/);
    assert.ok(existsSync(join(where.dir, '.moodle-ha', 'image-context', 'Dockerfile')));
    assert.ok(existsSync(join(where.dir, 'cdk.out', 'campus.template.json')));
  });
  test('with no cached tree, says how to get one', () => {
    const where = site(PRODUCTION_SPEC);
    const r = cli(['synth'], { ...where, env: { ...where.env, MOODLE_HA_CACHE: tempDir('moodle-ha-cache-') } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no Moodle 4\.5\.6 tree in the cache/);
    assert.match(r.stderr, /moodle-ha moodle download 4\.5\.6/);
  });
});

describe('the app entry the cdk CLI runs', () => {
  test('synthesizes the spec of MOODLE_HA_CWD with the image of MOODLE_HA_IMAGE_DIR into CDK_OUTDIR', () => {
    const where = site(PRODUCTION_SPEC);
    const outdir = join(where.dir, 'cli.out');
    const r = spawnSync(process.execPath, ['--import', 'tsx', APP_ENTRY], {
      cwd: resolve('.'),
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...where.env, MOODLE_HA_CWD: where.dir, MOODLE_HA_IMAGE_DIR: tinyImageDir(), CDK_OUTDIR: outdir },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(outdir, 'campus.template.json')));
    assert.ok(existsSync(join(outdir, 'manifest.json')));
  });
  test('a spec problem is printed as a user error (exit 2), not a stack trace', () => {
    const where = site('name: campus\naws:\n  azs: 1\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', APP_ENTRY], {
      cwd: resolve('.'),
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...where.env, MOODLE_HA_CWD: where.dir },
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error: .* is not valid/);
    assert.match(r.stderr, /aws\.azs: production spreads every tier over at least 2 availability zones/);
  });
});

describe('refusals, before anything talks to AWS', () => {
  test('deploy without an image stages the cached Moodle tree, and says how to get one when none is cached', () => {
    const where = site(PRODUCTION_SPEC);
    const r = cli(['deploy'], { ...where, env: { ...where.env, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no Moodle 4\.5\.6 tree in the cache/);
    assert.match(r.stderr, /moodle-ha moodle import DIR/);
    assert.equal(existsSync(join(where.dir, '.moodle-ha', 'image-context')), false, 'nothing staged without a tree');
  });
  test('deploy without credentials says what to set (exit 2)', () => {
    const r = cli(['deploy', '--image-dir', tinyImageDir()], site(PRODUCTION_SPEC));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no AWS credentials were found: set AWS_PROFILE .* or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });
  test('deploy of a spec without a domain names the missing setting first', () => {
    const r = cli(['deploy'], site('name: campus\n'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /aws\.domain: required to deploy/);
  });
  test('destroy of a production deployment refuses and explains deletion protection and RETAIN', () => {
    const r = cli(['destroy'], site(PRODUCTION_SPEC));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /deletion protection is on/);
    assert.match(r.stderr, /Aurora database: campus\//);
  });
  test('destroy --delete-data needs the deployed image so nothing else changes', () => {
    const r = cli(['destroy', '--delete-data'], site(PRODUCTION_SPEC));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /give the --image-dir or --image-tag you last deployed with/);
  });
});

describe('credentials', () => {
  const home = tempDir('moodle-ha-home-');
  test('none found in an empty environment and home', () => assert.equal(findCredentials({}, home), undefined));
  test('keys, profiles, web identity and container credentials count', () => {
    assert.ok(findCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }, home));
    assert.ok(findCredentials({ AWS_PROFILE: 'school' }, home));
    assert.ok(findCredentials({ AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn' }, home));
    assert.ok(findCredentials({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials' }, home));
  });
  test('a key id without its secret does not', () => assert.equal(findCredentials({ AWS_ACCESS_KEY_ID: 'a' }, home), undefined));
  test('~/.aws/credentials counts', () => {
    const h = tempDir('moodle-ha-home-');
    mkdirSync(join(h, '.aws'));
    writeFileSync(join(h, '.aws', 'credentials'), '[default]\n');
    assert.equal(findCredentials({}, h), join(h, '.aws', 'credentials'));
  });
  test('requireCredentials is a UserError naming the command', () => {
    assert.throws(
      () => requireCredentials('diff', {}, home),
      (e: unknown) => e instanceof UserError && /"moodle-ha diff" talks to AWS/.test(e.message),
    );
  });
  test("the cdk CLI's credential failures are recognised", () => {
    assert.ok(
      looksLikeCredentialFailure(
        'Unable to resolve AWS account to use. It must be either configured when you define your CDK Stack, or through the environment',
      ),
    );
    assert.ok(looksLikeCredentialFailure('ExpiredToken: The security token included in the request is expired'));
    assert.ok(!looksLikeCredentialFailure('Stack campus failed: UPDATE_ROLLBACK_COMPLETE'));
  });
});

describe('image flags and the cdk app command', () => {
  test('--image-tag and --image-dir exclude each other', () => {
    assert.throws(() => imageChoice({ 'image-tag': 'a', 'image-dir': '.' }, process.cwd()), /not both/);
  });
  test('--image-dir must hold a Dockerfile', () => {
    assert.throws(() => imageChoice({ 'image-dir': tempDir('empty-') }, process.cwd()), /has no Dockerfile/);
  });
  test('--image-tag must be a Docker tag', () => {
    assert.throws(() => imageChoice({ 'image-tag': 'bad tag' }, process.cwd()), /is not a Docker tag/);
  });
  test('the app environment carries the spec, cwd and image, and drops stale values', () => {
    const env = appEnvironment(
      { cwd: '/site', specFile: 'prod.yaml', image: { tag: 't1' } },
      { MOODLE_HA_IMAGE_DIR: '/stale', MOODLE_HA_DELETE_DATA: '1', PATH: '/bin' },
    );
    assert.equal(env.MOODLE_HA_SPEC, '/site/prod.yaml');
    assert.equal(env.MOODLE_HA_CWD, '/site');
    assert.equal(env.MOODLE_HA_IMAGE_TAG, 't1');
    assert.equal(env.MOODLE_HA_IMAGE_DIR, undefined);
    assert.equal(env.MOODLE_HA_DELETE_DATA, undefined);
    assert.equal(env.PATH, '/bin');
  });
  test('--app runs the app entry under this Node with the tsx loader', () => {
    const cmd = appCommand();
    assert.ok(cmd.startsWith(process.execPath));
    assert.match(cmd, /--import file:\/\/.*tsx/);
    assert.ok(cmd.endsWith(APP_ENTRY));
  });
});
