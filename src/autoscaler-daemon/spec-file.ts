// The files of the controller daemon: JSON of the validated, resolved spec and the image tags, written by `up`
// into its container (src/local/autoscaler-container.ts). The image is rebuilt whenever the
// daemon's code changes (its tag is a hash of the bundle), so writer and reader are always the same version;
// this check only turns a wrong file into a clear message instead of a crash later.
import { readFileSync } from 'node:fs';
import type { ImageTags } from '../local/services.ts';
import { checkSchedule } from '../spec/windows.ts';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';

/** The spec `up` wrote (JSON of the validated, resolved spec); refuses anything else. */
export function parseDaemonSpec(text: string, file: string): Spec {
  let spec: Spec;
  try {
    spec = JSON.parse(text) as Spec;
  } catch (e) {
    throw new UserError(`${file} is not JSON (${(e as Error).message}); the controller is started by "moodle-ha up", which writes it`);
  }
  const ok =
    typeof spec?.name === 'string' &&
    typeof spec.scaling?.max === 'number' &&
    typeof spec.scaling.min === 'number' &&
    typeof spec.autoscaler?.interval?.seconds === 'number' &&
    typeof spec.web?.memory?.bytes === 'number';
  if (!ok) throw new UserError(`${file} is not a resolved moodle-ha spec; the controller is started by "moodle-ha up", which writes it`);
  const problems = checkSchedule(spec.scaling.schedule);
  if (problems.length) throw new UserError('scaling.schedule has problems:', problems);
  return spec;
}

export function readDaemonSpec(file: string): Spec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read the spec ${file} (${(e as Error).message}); the controller is started by "moodle-ha up", which puts it there`);
  }
  return parseDaemonSpec(text, file);
}

/** The image tags `up` wrote (JSON: runtime, mariadb, redis, haproxy, mail); refuses anything else. */
export function parseDaemonImages(text: string, file: string): ImageTags {
  let tags: Partial<Record<keyof ImageTags, unknown>>;
  try {
    tags = JSON.parse(text) as typeof tags;
  } catch (e) {
    throw new UserError(`${file} is not JSON (${(e as Error).message}); the controller is started by "moodle-ha up", which writes it`);
  }
  const keys: Array<keyof ImageTags> = ['runtime', 'mariadb', 'redis', 'haproxy', 'mail'];
  const missing = keys.filter((k) => typeof tags?.[k] !== 'string' || !tags[k]);
  if (missing.length)
    throw new UserError(`${file} does not name the ${missing.join(', ')} image(s); the controller is started by "moodle-ha up", which writes it: run it again`);
  return tags as ImageTags;
}

export function readDaemonImages(file: string): ImageTags {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read the image list ${file} (${(e as Error).message}); the controller is started by "moodle-ha up", which puts it there`);
  }
  return parseDaemonImages(text, file);
}
