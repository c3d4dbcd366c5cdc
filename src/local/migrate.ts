// Runs the one-off migrate container to completion, streaming its log, and returns what it did
// ("installed", "upgraded" or "unchanged"). A failed migrate is an error that quotes its log.
import { PassThrough } from 'node:stream';
import { UserError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { createContainer, removeContainer, type ContainerSpec } from './containers.ts';
import { docker } from './engine/docker.ts';

export interface MigrateRun {
  readonly result: string;
  readonly exitCode: number;
  readonly log: string;
}

export async function runMigrate(spec: ContainerSpec, progress: Progress): Promise<string> {
  const run = await runMigrateContainer(spec, (line) => progress.info(line));
  if (run.exitCode !== 0) {
    throw new UserError(
      `migrate failed (exit ${run.exitCode}); the web tier was not started or changed. Last lines of its log:\n${run.log.trimEnd().split('\n').slice(-20).join('\n')}`,
    );
  }
  return run.result;
}

/** Runs one migrate container (removed afterwards); used by `up` and by the concurrency tests. */
export async function runMigrateContainer(spec: ContainerSpec, onLine: (line: string) => void = () => {}): Promise<MigrateRun> {
  await removeContainer(spec.name, 5);
  const c = await createContainer({ ...spec, restart: 'no' });
  const stream = await c.attach({ stream: true, stdout: true, stderr: true });
  let log = '';
  const lines = lineSplitter((l) => {
    if (isMigrateProgress(l)) onLine(l);
  });
  const sink = new PassThrough();
  sink.on('data', (b: Buffer) => {
    log += b.toString();
    lines(b.toString());
  });
  docker().modem.demuxStream(stream, sink, sink);
  await c.start();
  const { StatusCode } = (await c.wait()) as { StatusCode: number };
  await new Promise((r) => setTimeout(r, 100));
  await removeContainer(spec.name, 5);
  return { result: migrateResult(log), exitCode: StatusCode, log };
}

/** Lines of migrate's log shown as it runs: its own steps, and anything that looks like an error. */
export function isMigrateProgress(line: string): boolean {
  return /^migrate\[|^MUC|^recorded|^site defaults|^moodle-ha:|error|Error|exception/i.test(line);
}

/** Feeds chunks of text; calls `onLine` with each whole line (a line cut between chunks once it is complete). */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  };
}

/** What migrate did, from its MIGRATE-RESULT line ("installed", "upgraded", "unchanged"), else "unknown". */
export function migrateResult(log: string): string {
  return /MIGRATE-RESULT (\w+)/.exec(log)?.[1] ?? 'unknown';
}
