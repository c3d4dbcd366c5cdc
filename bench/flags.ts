// Command-line numbers of the named benchmarks, checked one way: a whole number within bounds, or
// an error that names the flag, the bounds, what was given, and the benchmark's usage.

/** `values[key]` (from parseArgs) as a whole number from `min` to `max`. */
export function wholeFlag(values: Readonly<Record<string, unknown>>, key: string, min: number, max: number, usage: string): number {
  const v = Number(values[key]);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`--${key} must be a whole number from ${min} to ${max}, got "${String(values[key])}"\n${usage}`);
  return v;
}
