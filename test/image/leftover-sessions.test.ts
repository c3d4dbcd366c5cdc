// What a killed test run leaves on the engine, and scripts/test.ts's removal of it
// (removeLeftoverSessions): a child process makes a session's network, volume and running
// container, then is killed with SIGKILL, so its `after` never runs, as at CI's time limit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import Docker from 'dockerode';
import { removeLeftoverSessions, SESSION_LABEL } from '../support/containers.ts';

const docker = new Docker();
const CHILD = `
import { TestSession } from './test/support/containers.ts';
const s = new TestSession();
const net = await s.network();
const vol = await s.volume('data');
await s.start({ role: 'busy', image: 'debian:bookworm-slim', cmd: ['sleep', 'infinity'], network: net, volumes: [{ volume: vol, target: '/data' }] });
console.log(s.id);
setInterval(() => {}, 60_000);
`;

/** Runs CHILD until it prints its session id, then kills it; the id. */
async function killedRun(): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const id = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the child printed no session id in 60 s: ${out}`)), 60_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^([0-9a-z]+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`the child exited ${code} before making its session: ${out}`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return id;
}

async function left(id: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = JSON.stringify({ label: [`${SESSION_LABEL}=${id}`] });
  return {
    containers: (await docker.listContainers({ all: true, filters })).length,
    networks: (await docker.listNetworks({ filters })).length,
    volumes: ((await docker.listVolumes({ filters })).Volumes ?? []).length,
  };
}

describe('test sessions a killed run left', () => {
  let id = '';
  after(async () => {
    if (id) await removeLeftoverSessions(docker);
  });

  test('outlive the run, and removeLeftoverSessions removes them all and names the session', async () => {
    id = await killedRun();
    assert.deepEqual(await left(id), { containers: 1, networks: 1, volumes: 1 }, 'the killed run left its container, network and volume');
    const removed = await removeLeftoverSessions(docker);
    assert.ok(removed.includes(id), `removed ${JSON.stringify(removed)}, not ${id}`);
    assert.deepEqual(await left(id), { containers: 0, networks: 0, volumes: 0 });
    assert.deepEqual(await removeLeftoverSessions(docker), [], 'a second removal finds nothing');
  });
});
