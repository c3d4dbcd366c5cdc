// Sees every step sample of a load run while it runs. The drills need the time of each step (when
// did the first write succeed after the fault, which logins came just before it), and runLoad
// keeps its Recorder to itself, so the Recorder's record method is wrapped for the duration of
// `work` and restored afterwards. One drill runs at a time in a process, so nothing else is seen.
// The clean form is an `onSample` callback in runLoad's RunArgs (src/ops/load/run.ts); when it
// exists, this file should go.
import { Recorder, type StepSample } from '../load/stats.ts';

export async function withStepTap<T>(onSample: (s: StepSample) => void, work: () => Promise<T>): Promise<T> {
  const original = Recorder.prototype.record;
  if ((original as { tapped?: boolean }).tapped) throw new Error('bug: step samples are already tapped (two drills at once?)');
  const tapped = function (this: Recorder, s: StepSample): void {
    onSample(s);
    original.call(this, s);
  };
  Object.assign(tapped, { tapped: true });
  Recorder.prototype.record = tapped;
  try {
    return await work();
  } finally {
    Recorder.prototype.record = original;
  }
}
