// Generated secrets of a local cluster (src/local/secrets.ts): made once, kept private, never
// regenerated while present.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ensureSecrets, hasSecrets, removeSecrets, SECRET_NAMES, secretFile, secretsDir } from '../../../src/local/secrets.ts';
import { generatePassword } from '../../../src/util/password.ts';
import { clusterStateDir } from '../../../src/util/paths.ts';
import { freshStateRoot } from './fixtures.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('generated passwords', () => {
  test('32 characters of URL-safe base64: letters, digits, "-" and "_" (nothing a config file must escape)', () => {
    for (let i = 0; i < 200; i++) assert.match(generatePassword(), /^[A-Za-z0-9_-]{32}$/);
  });
  test('different every time, and using the whole alphabet (24 random bytes)', () => {
    const many = Array.from({ length: 500 }, generatePassword);
    assert.equal(new Set(many).size, many.length);
    const seen = new Set(many.join(''));
    assert.equal(seen.size, 64, `characters seen: ${[...seen].sort().join('')}`);
  });
});

describe('ensureSecrets', () => {
  test('first run: one file per secret, the folder 0700 and each file 0600, under the cluster state folder', () => {
    const root = freshStateRoot('secrets');
    assert.equal(hasSecrets('c1'), false);
    const s = ensureSecrets('c1');
    assert.deepEqual(Object.keys(s).sort(), [...SECRET_NAMES].sort());
    assert.ok(secretsDir('c1').startsWith(root), secretsDir('c1'));
    assert.equal(mode(secretsDir('c1')), 0o700);
    for (const name of SECRET_NAMES) {
      assert.equal(mode(secretFile('c1', name)), 0o600, name);
      assert.equal(readFileSync(secretFile('c1', name), 'utf8'), s[name]);
      assert.match(s[name], /^[A-Za-z0-9_-]{32}$/);
    }
    assert.equal(new Set(Object.values(s)).size, SECRET_NAMES.length, 'each secret is its own password');
    assert.equal(hasSecrets('c1'), true);
  });
  test('later runs read the same secrets: never regenerated while present', () => {
    freshStateRoot('secrets');
    const first = ensureSecrets('c1');
    assert.deepEqual(ensureSecrets('c1'), first);
  });
  test('a secret put there by hand is kept (trailing newline trimmed); only the missing ones are made', () => {
    freshStateRoot('secrets');
    ensureSecrets('c1');
    writeFileSync(secretFile('c1', 'db-password'), 'chosen-by-the-operator\n');
    rmSync(secretFile('c1', 'admin-password'));
    const before = readFileSync(secretFile('c1', 'redis-password'), 'utf8');
    const s = ensureSecrets('c1');
    assert.equal(s['db-password'], 'chosen-by-the-operator');
    assert.equal(s['redis-password'], before);
    assert.ok(existsSync(secretFile('c1', 'admin-password')), 'the missing one was made');
  });
  test('loosened modes are tightened again', () => {
    freshStateRoot('secrets');
    ensureSecrets('c1');
    chmodSync(secretFile('c1', 'redis-password'), 0o644);
    chmodSync(secretsDir('c1'), 0o755);
    ensureSecrets('c1');
    assert.equal(mode(secretFile('c1', 'redis-password')), 0o600);
    assert.equal(mode(secretsDir('c1')), 0o700);
  });
  test('clusters have their own secrets', () => {
    freshStateRoot('secrets');
    assert.notDeepEqual(ensureSecrets('a'), ensureSecrets('b'));
  });
  test("removeSecrets removes the cluster's state folder, and only that cluster's", () => {
    freshStateRoot('secrets');
    ensureSecrets('a');
    ensureSecrets('b');
    removeSecrets('a');
    assert.equal(existsSync(clusterStateDir('a')), false);
    assert.equal(hasSecrets('a'), false);
    assert.equal(hasSecrets('b'), true);
  });
});
