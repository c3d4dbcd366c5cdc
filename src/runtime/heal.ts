// What the healer needs from a target (src/ops/autoscaler/heal-loop.ts runs it; src/local/heal.ts
// implements it with Docker): the members that should run, each one's state now, the cluster's
// operation lease (so healing never races `scale` or an autoscaler), and bringing one back.
// Only types here: no target is imported.

/** A member as the healer sees it now. Times are epoch ms. */
export interface ObservedMember {
  readonly name: string;
  readonly service: string;
  /** The container (pod, task) exists. */
  readonly present: boolean;
  readonly running: boolean;
  /** The target's own restart policy is restarting it now. */
  readonly restarting: boolean;
  /** When it last stopped; undefined when it never did, or is absent. */
  readonly finishedAt?: number;
  /** When it last started. */
  readonly startedAt?: number;
  /** Its exit code, when stopped. */
  readonly exitCode?: number;
  /** How often the target's restart policy has restarted it (its process died by itself). */
  readonly restartCount?: number;
  /** How long it must have been stopped before the healer starts it (default: reconcile's HEAL_GRACE_MS). */
  readonly graceMs?: number;
}

/** A member that should run, and how long to leave it stopped before starting it (when not the default). */
export interface DesiredMember {
  readonly name: string;
  readonly service: string;
  readonly graceMs?: number;
}

/**
 * start: a stopped member started again; create: a removed one made again from its definition;
 * replace: one in a crash loop removed and made again from its definition (a fresh container).
 */
export type HealActionKind = 'start' | 'create' | 'replace';

/** A held operation lease: `release` gives it up (only if still held). */
export interface HeldLease {
  release(): void;
}

export interface HealTarget {
  /** Every member that should run now (its desired state), in the order to heal them. */
  desired(): Promise<readonly DesiredMember[]>;
  observe(member: { readonly name: string; readonly service: string }): Promise<ObservedMember>;
  /** Takes the cluster's operation lease for `what`; undefined when another change holds it. */
  tryLease(what: string): HeldLease | undefined;
  /** What holds the lease now, if anything. */
  leaseHolder(): string | undefined;
  /** Brings the member back (a web node: ready and in the load balancer); returns what it did, in words. */
  bringBack(member: string, action: HealActionKind): Promise<string>;
}
