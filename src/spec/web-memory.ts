// The memory a web container needs at most, from the spec: every PHP-FPM worker at its
// memory_limit at once (the exam-week worst case), plus OPcache's and APCu's shared memory and what
// nginx and the FPM master use. A container given less is killed for memory exactly when it is busiest, so
// the spec refuses it, locally and on AWS, saying what to change.
import { IMAGE_LIMITS } from './limits.ts';
import { toMiB, type Size } from './units.ts';

export interface WebMemory {
  readonly fpmWorkers: number;
  readonly phpMemory: Size;
  readonly memory: Size;
}

/** MiB a web container needs with every worker at its memory_limit. */
export function webMemoryNeedMiB(w: Pick<WebMemory, 'fpmWorkers' | 'phpMemory'>): number {
  return w.fpmWorkers * toMiB(w.phpMemory) + IMAGE_LIMITS.opcacheMiB + IMAGE_LIMITS.apcuMiB + IMAGE_LIMITS.serverOverheadMiB;
}

/** The problem with these web sizes (a sentence naming what to change), or undefined when they fit. */
export function webMemoryProblem(w: WebMemory): string | undefined {
  const need = webMemoryNeedMiB(w);
  const have = toMiB(w.memory);
  if (need <= have) return undefined;
  const fixed = IMAGE_LIMITS.opcacheMiB + IMAGE_LIMITS.apcuMiB + IMAGE_LIMITS.serverOverheadMiB;
  const workers = Math.floor((have - fixed) / toMiB(w.phpMemory));
  const php = Math.floor((have - fixed) / w.fpmWorkers);
  const gi = Math.ceil(need / 1024);
  const fixes = [`Set web.memory to at least ${need}Mi (e.g. "${gi}Gi")`];
  if (workers >= 1) fixes.push(`lower web.fpmWorkers to ${workers}`);
  if (php >= 64) fixes.push(`lower web.phpMemory to ${php}Mi`);
  return `${w.fpmWorkers} PHP-FPM workers × ${toMiB(w.phpMemory)}Mi memory_limit + ${IMAGE_LIMITS.opcacheMiB}Mi OPcache + ${IMAGE_LIMITS.apcuMiB}Mi APCu + ${IMAGE_LIMITS.serverOverheadMiB}Mi for nginx and PHP-FPM = ${need}Mi, more than web.memory (${have}Mi): a busy node would be killed for memory. ${fixes.join(', or ')}`;
}
