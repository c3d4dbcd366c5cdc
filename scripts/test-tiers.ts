// The test tiers and which of them must run. scripts/test.ts runs them; the decision is here, apart,
// so that a unit test can check it (test/unit/test-tiers.test.ts).

export type Tier = 'unit' | 'image' | 'moodle' | 'twin';
export const TIERS: readonly Tier[] = ['unit', 'image', 'moodle', 'twin'];

export interface TierRun {
  /** The tier was asked for by name (`npm run test:moodle`), not as part of `all`. */
  readonly explicit: boolean;
  /** Running in CI (CI=true). */
  readonly ci: boolean;
}

/**
 * Why a tier whose needs are missing (Docker, a cached Moodle tree) fails the run, or undefined
 * when it is only skipped, loudly. In CI every tier is mandatory: a green CI must mean the image
 * works (image) and the cluster stays up when a part fails, with real Moodle (moodle, twin), not
 * just that the code builds.
 */
export function whyMandatory(tier: Tier, run: TierRun): string | undefined {
  if (run.explicit) return `the ${tier} tier was asked for by name`;
  if (run.ci) return `CI=true: in CI the ${tier} tier is mandatory`;
  return undefined;
}
