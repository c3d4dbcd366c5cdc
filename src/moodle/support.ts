// The Moodle releases this moodle-ha supports: the one place that says so, read by `moodle import`
// and `moodle download` (nothing unsupported enters the cache) and by every command that builds
// from a cached tree (`up`, `deploy`, `synth`, through requireMoodleTree).
//
// Supported: Moodle 4.5 LTS, every point release and weekly build (4.5.0 to 4.5.x+), the release
// the runtime image, config.php, the readiness checks and the real-Moodle tests and drills are
// built and run against. Why not more:
// - older (4.4 and before): never run here;
// - newer (5.0 and after): never run here; 5.0 adds a request router the image's nginx does not
//   route to, and 5.1 moves the web root to public/ (moodle.webroot is a start, but `moodle
//   import`'s tree check and the image's scripts assume the 4.x layout).
// Widening the range is a change to SUPPORTED_MOODLE plus a real-Moodle test run with that release.
// The runtime image runs PHP 8.2 (Debian bookworm); Moodle 4.5 supports PHP 8.1 to 8.3.
import { UserError } from '../util/errors.ts';
import type { MoodleVersion } from './version.ts';

export const SUPPORTED_MOODLE = {
  /** The release series supported, as a spec's moodle.version starts ("4.5.6" is in "4.5"). */
  series: ['4.5'],
  /** The lowest supported $version (4.5.0's), inclusive. */
  minVersion: 2024100700,
  /** The first $version no longer supported (5.0.0's). */
  belowVersion: 2025041400,
  /** The PHP the runtime image installs (images/runtime/Dockerfile); a unit test checks they agree. */
  php: '8.2',
  /** An example release to suggest. */
  example: '4.5.6',
} as const;

/** "Moodle 4.5 ($version 2024100700 up to, not including, 2025041400)". */
export function supportedText(): string {
  const s = SUPPORTED_MOODLE;
  return `Moodle ${s.series.join(', ')} (any point release or weekly build: $version from ${s.minVersion} up to, not including, ${s.belowVersion}; the runtime image runs PHP ${s.php})`;
}

/** Whether a tree's version is supported; why not, when it is not. */
export function versionSupport(v: MoodleVersion): { ok: true } | { ok: false; why: 'too old' | 'too new' } {
  const n = Number(v.version);
  if (n < SUPPORTED_MOODLE.minVersion) return { ok: false, why: 'too old' };
  if (n >= SUPPORTED_MOODLE.belowVersion) return { ok: false, why: 'too new' };
  return { ok: true };
}

/**
 * Throws a UserError when the tree (described by `what`, e.g. "/srv/moodle") holds a Moodle this
 * moodle-ha does not support, naming the supported releases and what to do.
 */
export function assertSupportedVersion(v: MoodleVersion, what: string, nothing = 'nothing was changed'): void {
  const r = versionSupport(v);
  if (r.ok) return;
  throw new UserError(
    `${what} is Moodle ${v.release} ($version ${v.version}), ${r.why === 'too old' ? 'older' : 'newer'} than this moodle-ha supports: ${supportedText()}; ${nothing}. ` +
      `Use a supported release: set moodle.version in moodle-ha.yaml to one (e.g. "${SUPPORTED_MOODLE.example}") and run "moodle-ha moodle download ${SUPPORTED_MOODLE.example}", or import a supported tree with "moodle-ha moodle import DIR".`,
  );
}

/** The release series of a release number: "4.5.6" → "4.5", "5.0" → "5.0"; undefined when unreadable. */
export function releaseSeries(release: string): string | undefined {
  return /^(\d+\.\d+)(?:\.\d+)?\+?$/.exec(release.trim())?.[1];
}

/** Throws a UserError when a release number (a spec's moodle.version, `moodle download`'s VERSION) is not in a supported series. */
export function assertSupportedRelease(release: string, nothing = 'nothing was changed'): void {
  const series = releaseSeries(release);
  if (series && (SUPPORTED_MOODLE.series as readonly string[]).includes(series)) return;
  throw new UserError(
    `Moodle ${release} is not supported by this moodle-ha: ${supportedText()}; ${nothing}. Set moodle.version in moodle-ha.yaml to a supported release, e.g. "${SUPPORTED_MOODLE.example}".`,
  );
}
