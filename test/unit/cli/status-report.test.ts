// status --json: which cluster, its URL, the profile it runs, the Moodle version and the runtime
// image, besides the containers, the load balancer's view, the autoscaler and the events.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { firstFileOf, tarOf } from '../../../src/local/archive.ts';
import { runningProfile, statusReport } from '../../../src/cli/status-report.ts';
import { CODE_VERSION_FILE } from '../../../src/local/running-code.ts';
import { validateSpec } from '../../../src/spec/read.ts';

const running = (service: 'db' | 'web', name: string) => ({ name, service, running: true, state: 'running', health: '-' });
const code = {
  image: { tag: 'moodle-ha/runtime:4.5.6-0123456789abcdef', id: 'sha256:feed' },
  moodle: { release: '4.5.6 (Build: 20250811)', version: '2024100706.00', source: `${CODE_VERSION_FILE} in the image (recorded at build)` },
};

test('the report names the cluster, URL, profile, Moodle version and image, and keeps what status had', () => {
  const spec = validateSpec({ name: 'campus', site: { url: 'http://campus.localhost:8080' } });
  const services = [running('db', 'campus-db'), running('web', 'campus-web-1')];
  const r = statusReport(spec, {
    services,
    lb: 'load balancer not running',
    code,
    mailUrl: 'http://127.0.0.1:8025',
    autoscaler: { detached: 'absent' },
    events: [],
  });
  assert.deepEqual(
    { cluster: r.cluster, url: r.url, profile: r.profile, moodle: r.moodle, image: r.image },
    { cluster: 'campus', url: 'http://campus.localhost:8080', profile: 'dev', moodle: code.moodle, image: code.image },
  );
  assert.deepEqual(Object.keys(r).sort(), [
    'autoscaler',
    'cluster',
    'database',
    'events',
    'image',
    'lb',
    'mailUrl',
    'moodle',
    'profile',
    'redis',
    'services',
    'url',
  ]);
  assert.deepEqual(JSON.parse(JSON.stringify(r)).services, services);
  assert.deepEqual(r.redis, [], 'no Redis member reported: an empty list, not a missing key');
});

test('the profile is the one that runs (an endpoints container means ha); the spec says it only when nothing runs', () => {
  assert.equal(runningProfile([{ service: 'db' }, { service: 'endpoints' }]), 'ha');
  assert.equal(runningProfile([{ service: 'db' }]), 'dev');
  assert.equal(runningProfile([]), undefined);
  const spec = validateSpec({ name: 'campus', profile: 'ha' });
  const none = statusReport(spec, {
    services: [],
    lb: 'load balancer not running',
    code: { image: null, moodle: null },
    mailUrl: '',
    autoscaler: { detached: 'absent' },
    events: [],
  });
  assert.equal(none.profile, 'ha');
  assert.equal(none.image, null);
  assert.equal(none.moodle, null);
  const devRunning = statusReport(spec, { services: [running('db', 'campus-db')], lb: '', code, mailUrl: '', autoscaler: { detached: 'absent' }, events: [] });
  assert.equal(devRunning.profile, 'dev', "the cluster runs dev, whatever this run's spec says");
});

test('the version record is read out of the archive the engine returns for it', async () => {
  const tar = await tarOf([{ name: 'code-version.json', content: '{"release":"4.5.6","version":"2024100706.00"}' }]);
  assert.equal((await firstFileOf(Readable.from([tar])))?.toString(), '{"release":"4.5.6","version":"2024100706.00"}');
});
