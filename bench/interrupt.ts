// Ctrl-C (or SIGTERM) during a benchmark that brought up its own clusters: say so, stop the work
// in progress, tear down, exit 130 (the shell's code for an interrupt).
export function onInterrupt(log: (s: string) => void, message: string, abort: AbortController, tearDown: () => Promise<void>): void {
  const handler = () => {
    log(message);
    abort.abort();
    void tearDown().finally(() => process.exit(130));
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, handler);
}
