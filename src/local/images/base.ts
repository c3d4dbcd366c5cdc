// The Debian base every image builds FROM. Where no registry can be reached (air-gapped sites,
// this project's CI) it is made from the Debian archive with debootstrap and imported.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, followStream, imageExists, requireDocker } from '../engine/docker.ts';
import { BASE_IMAGE } from '../../image/base-image.ts';
import { UserError } from '../../util/errors.ts';
import type { Progress } from '../../util/progress.ts';

/** The base image for `moodle-ha base-image`: the engine must answer first. */
export async function requireBaseImage(progress: Progress): Promise<void> {
  await requireDocker();
  await ensureBaseImage(progress);
}

export async function ensureBaseImage(progress: Progress): Promise<void> {
  if (await imageExists(BASE_IMAGE)) return;
  await progress.step(`base image ${BASE_IMAGE}`, async () => {
    try {
      const stream = await docker().pull(BASE_IMAGE);
      await followStream(stream, (l) => progress.detail(l));
      return;
    } catch (e) {
      progress.info(`pull failed (${(e as Error).message.split('\n')[0]}); making it from the Debian archive with debootstrap`);
    }
    await debootstrapImport(progress);
  });
}

/**
 * The base image's ID, made or pulled first if it is missing. Every image's key includes it, so
 * a new base (a Debian point release, `moodle-ha base-image` run again) rebuilds the images.
 */
export async function baseImageId(progress: Progress): Promise<string> {
  await ensureBaseImage(progress);
  return (await docker().getImage(BASE_IMAGE).inspect()).Id;
}

/** Made with debootstrap and imported as `image` (BASE_IMAGE; another name only to try it out). */
export async function debootstrapImport(progress: Progress, image = BASE_IMAGE): Promise<void> {
  if (spawnSync('debootstrap', ['--version']).error) {
    throw new UserError(
      `${BASE_IMAGE} is not in the Docker engine and no registry answers. Install debootstrap (apt-get install debootstrap) and run again as root, or load the image with "docker load".`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new UserError(
      `${BASE_IMAGE} must be made with debootstrap, which needs root: run "sudo moodle-ha base-image", or load the image with "docker load".`,
    );
  }
  const root = mkdtempSync(join(tmpdir(), 'moodle-ha-bookworm-'));
  try {
    const mirror = process.env.MOODLE_HA_DEBIAN_MIRROR;
    await run('debootstrap', ['--variant=minbase', 'bookworm', root, ...(mirror ? [mirror] : [])], progress);
    slim(root);
    progress.info('importing the root file system into Docker');
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = image.split(':');
    const stream = (await docker().importImage(tar.stdout as unknown as NodeJS.ReadableStream, { repo, tag } as never)) as unknown as NodeJS.ReadableStream;
    await followStream(stream, (l) => progress.detail(l));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * What Debian's own slim image leaves out too: the downloaded .deb files and the package lists
 * (about 80 MB, which every image built on it would carry; each Dockerfile runs apt-get update).
 * And its apt setting that deletes the .deb files after every install, so an image's own
 * `apt-get install` does not keep them in its layer either.
 */
function slim(root: string): void {
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    for (const f of readdirSync(join(root, dir))) if (f !== 'partial' && f !== 'lock') rmSync(join(root, dir, f), { recursive: true, force: true });
  }
  for (const f of readdirSync(join(root, 'var/cache/apt'))) if (f.endsWith('.bin')) rmSync(join(root, 'var/cache/apt', f), { force: true });
  writeFileSync(join(root, 'etc/apt/apt.conf.d/docker-clean'), APT_CLEAN);
}

const APT_CLEAN = `// Written by moodle-ha, as in Debian's own container images: no .deb files kept after installs.
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
`;

function run(cmd: string, args: string[], progress: Progress): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-2000);
      for (const l of b.toString().split('\n')) if (l.trim()) progress.detail(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new UserError(`${cmd} failed (exit ${code}); last output:\n${tail}`))));
  });
}
