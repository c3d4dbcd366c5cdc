// Small timing helpers of the drills: waits that end early on a signal, and polls that time how
// long the cluster took to react.
import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or less when `signal` aborts first (never throws). */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/** Seconds since `t0` (epoch ms), to 0.1 s. */
export const since = (t0: number): number => Math.round((Date.now() - t0) / 100) / 10;

/** Polls `probe` every 250 ms until true; the seconds it took, or null after `limitS`. A probe that throws counts as false. */
export async function secondsUntil(probe: () => Promise<boolean>, limitS: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitS * 1000) {
    if (await probe().catch(() => false)) return since(t0);
    await pause(250);
  }
  return null;
}
