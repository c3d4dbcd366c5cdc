// The heart of a drill: the load runs, the fault is injected into it at a fixed time, and what the
// fault broke is restored whatever happens: after the run, after an error in the load or the fault
// (in `finally`), and after an interruption (the signal stops the load at once, then the restore
// runs). A drill that stopped early throws an error that says what was restored.
import { isUserError, UserError } from '../../util/errors.ts';
import type { Drill, DrillContext, Fault } from './drill.ts';
import { RESTORED_AFTER, type RestoreReason, type RestoreReport } from './result.ts';
import { pause } from './timing.ts';

export interface UnderLoadArgs<K extends string, L> {
  readonly drill: Drill<string, K>;
  readonly ctx: DrillContext;
  /** When the fault is injected, in seconds after the load started. */
  readonly faultAtSeconds: number;
  /**
   * Seconds the load keeps running after the fault action returned, for every drill: a fault that
   * came late (choosing it asks the cluster, which a busy machine answers slowly) still has this
   * much load after it. A long fault's load has no other end.
   */
  readonly afterFaultSeconds: number;
  /** Runs the load until it ends by itself or `signal` aborts. */
  readonly runLoad: (signal: AbortSignal) => Promise<L>;
  /** An interruption (SIGINT, SIGTERM): the load stops, the restore runs, then DrillStopped is thrown. */
  readonly signal?: AbortSignal;
}

export interface UnderLoad<K extends string, L> {
  readonly load: L;
  readonly fault: Fault<K>;
  /** Epoch ms when the load started. */
  readonly startedAt: number;
  /** Epoch ms right before the destructive call, how the fault was made, how long inject() took. */
  readonly injected: { readonly at: number; readonly detail: string; readonly tookMs: number };
  readonly restore: RestoreReport;
}

/** A drill stopped early by an interruption, or by an error a user can act on; the message says what was restored. */
export class DrillStopped extends UserError {
  constructor(
    readonly drill: string,
    readonly reason: Exclude<RestoreReason, 'run ended'>,
    /** Undefined when nothing had been broken yet. */
    readonly restore: RestoreReport | undefined,
    message: string,
    details: readonly string[] = [],
  ) {
    super(message, details);
    this.name = 'DrillStopped';
  }
}

/** One line on what the restore did, for logs and errors. */
export function restoreLine(r: RestoreReport, target: string): string {
  return r.failed
    ? `the restore ${RESTORED_AFTER[r.reason]} FAILED (${r.detail}): ${target} may still be broken; check it with "moodle-ha status"`
    : `restored ${RESTORED_AFTER[r.reason]}: ${r.action} (${r.detail}; ${r.tookSeconds} s)`;
}

async function restoreNow<K extends string>(fault: Fault<K>, reason: RestoreReason, log: (line: string) => void): Promise<RestoreReport> {
  const t0 = Date.now();
  const took = () => Math.round((Date.now() - t0) / 100) / 10;
  let report: RestoreReport;
  try {
    const r = await fault.restore();
    report = { ...r, tookSeconds: took(), reason, failed: false };
  } catch (e) {
    report = { action: `restore ${fault.target}`, detail: (e as Error)?.message ?? String(e), tookSeconds: took(), reason, failed: true };
  }
  log(restoreLine(report, fault.target));
  return report;
}

/** The error for a drill stopped early: a UserError (DrillStopped) unless the cause is a bug, which keeps its stack. */
function stopped(
  drill: string,
  reason: Exclude<RestoreReason, 'run ended'>,
  restore: RestoreReport | undefined,
  target: string | undefined,
  cause: unknown,
): Error {
  const what = restore && target ? restoreLine(restore, target) : 'nothing had been broken yet';
  if (reason === 'interrupted') return new DrillStopped(drill, reason, restore, `drill ${drill} was interrupted; ${what}`);
  if (isUserError(cause)) return new DrillStopped(drill, reason, restore, `drill ${drill} stopped: ${cause.message}; ${what}`, cause.details);
  const bug = new Error(`drill ${drill} stopped by an error: ${(cause as Error)?.message ?? String(cause)}; ${what}`, { cause });
  bug.stack = `${bug.stack}\ncaused by: ${(cause as Error)?.stack ?? String(cause)}`;
  return bug;
}

export async function runFaultUnderLoad<K extends string, L>(a: UnderLoadArgs<K, L>): Promise<UnderLoad<K, L>> {
  const { drill, ctx } = a;
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  a.signal?.addEventListener('abort', interrupt, { once: true });
  if (a.signal?.aborted) stop.abort();
  let fault: Fault<K> | undefined;
  let injected: UnderLoad<K, L>['injected'] | undefined;
  let error: { readonly cause: unknown } | undefined;
  const startedAt = Date.now();

  const faultTask = (async () => {
    await pause(a.faultAtSeconds * 1000, stop.signal);
    if (stop.signal.aborted) return;
    const chosen = await drill.prepare(ctx);
    if (stop.signal.aborted) return; // chosen, nothing broken
    fault = chosen; // from here on, the restore runs whatever happens
    const t = Date.now();
    const r = await chosen.inject();
    injected = { ...r, tookMs: Date.now() - t };
    const late = (t - startedAt) / 1000 - a.faultAtSeconds;
    ctx.log(
      `[${((Date.now() - startedAt) / 1000).toFixed(1)}s] fault: ${chosen.action} ${chosen.target} (${r.detail})${late >= 1 ? `; ${late.toFixed(1)} s after its time (choosing it took that long)` : ''}`,
    );
    await pause(a.afterFaultSeconds * 1000, stop.signal);
    stop.abort();
  })().catch((e: unknown) => {
    error ??= { cause: e };
    stop.abort();
  });

  let load: L | undefined;
  let restore: RestoreReport | undefined;
  try {
    load = await a.runLoad(stop.signal);
  } catch (e) {
    error ??= { cause: e };
  } finally {
    stop.abort();
    await faultTask; // an injection under way finishes first: a kill cannot be taken back half-way
    a.signal?.removeEventListener('abort', interrupt);
    const reason: RestoreReason = a.signal?.aborted ? 'interrupted' : error ? 'error' : 'run ended';
    if (fault) {
      ctx.log(
        `drill ${drill.name}: ${reason === 'run ended' ? 'load done' : reason === 'interrupted' ? 'interrupted, the load stopped' : 'stopped by an error'}; restoring what it broke ...`,
      );
      restore = await restoreNow(fault, reason, ctx.log);
    }
  }
  if (a.signal?.aborted) throw stopped(drill.name, 'interrupted', restore, fault?.target, undefined);
  if (error) throw stopped(drill.name, 'error', restore, fault?.target, error.cause);
  if (!fault || !injected || !restore || load === undefined)
    throw new Error(`drill ${drill.name}: the load ended before the fault was injected at ${a.faultAtSeconds} s`);
  return { load, fault, startedAt, injected, restore };
}
