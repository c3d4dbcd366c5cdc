// What `destroy` does to data, read from the synthesized templates: RETAIN keeps it, a snapshot
// keeps the database, deletion protection refuses, and only --delete-data deletes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { synthesize } from '../../../src/aws/cli/assembly.ts';
import { checkDestroy, dataResources } from '../../../src/aws/cli/destroy-plan.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import { UserError } from '../../../src/util/errors.ts';
import { PRODUCTION, SMALL, tinyImageDir } from './fixtures.ts';
import { tempDir } from '../../support/temp.ts';

const out = () => tempDir('moodle-ha-destroy-');
const plan = (raw: unknown, opts: { deleteData?: boolean; tag?: string } = {}) =>
  dataResources(
    synthesize({
      spec: validateSpec(raw),
      baseDir: process.cwd(),
      image: opts.tag ? { tag: opts.tag } : { directory: tinyImageDir() },
      outdir: out(),
      deleteData: opts.deleteData,
      nag: false,
    }).map((s) => ({ name: s.name, template: s.template })),
  );

const production = plan(PRODUCTION, { tag: 'r1' });
const productionDoomed = plan(PRODUCTION, { tag: 'r1', deleteData: true });
const small = plan(SMALL);

describe('data-bearing resources', () => {
  test('production: the database is snapshotted and protected; moodledata, buckets, vault and images are kept', () => {
    const fate = Object.fromEntries(
      production.map((r) => [`${r.stack}:${r.type}:${r.logicalId.replace(/[0-9A-F]{8}$/, '')}`, `${r.fate}${r.protected ? '+protected' : ''}`]),
    );
    assert.equal(fate['campus:AWS::RDS::DBCluster:DatabaseCluster'], 'snapshot+protected');
    assert.equal(fate['campus:AWS::EFS::FileSystem:SharedFilesFileSystem'], 'kept');
    assert.equal(fate['campus:AWS::S3::Bucket:ConfigBucket'], 'kept');
    assert.equal(fate['campus:AWS::Backup::BackupVault:BackupsVault'], 'kept');
    assert.equal(fate['campus-pipeline:AWS::ECR::Repository:ImageRepository'], 'kept');
    assert.equal(production.filter((r) => r.fate === 'deleted').length, 0);
  });
  test('the cache is not data (sessions and caches only)', () => {
    assert.ok(!production.some((r) => r.type === 'AWS::ElastiCache::ReplicationGroup'));
  });
});

describe('destroy decisions', () => {
  test('production without --delete-data: refused, because deletion protection would stop it half-way', () => {
    assert.throws(
      () => checkDestroy(production, false),
      (e: unknown) =>
        e instanceof UserError &&
        /deletion protection is on/.test(e.message) &&
        /moodle-ha destroy --delete-data/.test(e.message) &&
        e.details.some((d) => d.startsWith('Aurora database: campus/')),
    );
  });
  test('small without --delete-data: allowed, and says what is kept and what is snapshotted', () => {
    const lines = checkDestroy(small, false);
    assert.ok(lines.some((l) => /^deleted after a final snapshot .*Aurora database/.test(l)));
    assert.ok(lines.some((l) => /^kept \(RETAIN: stays in the account, and keeps costing/.test(l) && /EFS file system/.test(l)));
    assert.ok(!lines.some((l) => l.startsWith('deleted:')));
  });
  test('templates that delete data are refused without --delete-data, naming what would go', () => {
    assert.throws(
      () => checkDestroy(productionDoomed, false),
      (e: unknown) =>
        e instanceof UserError &&
        /destroy would delete data; nothing was changed\. Run again with --delete-data/.test(e.message) &&
        e.details.some((d) => d.startsWith('EFS file system (moodledata)')) &&
        e.details.some((d) => d.startsWith('Aurora database')),
    );
  });
  test('with --delete-data: database, moodledata and buckets are deleted; the backup vault stays', () => {
    const lines = checkDestroy(productionDoomed, true);
    assert.ok(lines.some((l) => l.startsWith('deleted: Aurora database')));
    assert.ok(lines.some((l) => l.startsWith('deleted: EFS file system')));
    assert.ok(lines.some((l) => l.startsWith('kept') && l.includes('AWS Backup vault')));
  });
});
