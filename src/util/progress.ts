// Progress for long operations: a numbered step with its time, printed to stderr, so stdout
// carries only results (URLs, JSON).

export interface Progress {
  step<T>(title: string, work: () => Promise<T>): Promise<T>;
  info(text: string): void;
  detail(text: string): void;
}

export function consoleProgress(verbose = process.env.MOODLE_HA_VERBOSE === '1'): Progress {
  let n = 0;
  return {
    async step(title, work) {
      n += 1;
      const t0 = Date.now();
      process.stderr.write(`[${n}] ${title} ...\n`);
      try {
        const result = await work();
        process.stderr.write(`[${n}] ${title}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        return result;
      } catch (e) {
        process.stderr.write(`[${n}] ${title}: FAILED after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        throw e;
      }
    },
    info(text) {
      process.stderr.write(`    ${text}\n`);
    },
    detail(text) {
      if (verbose) process.stderr.write(`      ${text}\n`);
    },
  };
}

export const silentProgress: Progress = {
  step: (_title, work) => work(),
  info: () => {},
  detail: () => {},
};
