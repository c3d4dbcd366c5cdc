// Whether a process runs, by its pid: the one check behind stale pid files and abandoned copies.

/** True when a process with this pid runs (EPERM: it runs, as another user). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
