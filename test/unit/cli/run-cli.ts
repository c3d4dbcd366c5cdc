// Runs the CLI in this process through main(argv), with its help and errors captured.
import { main } from '../../../src/cli/main.ts';
import type { CommandEntry } from '../../../src/cli/command.ts';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Help is captured at 1000 columns (a terminal that wide), so no description is wrapped. */
export async function cli(argv: readonly string[], commands?: readonly CommandEntry[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (stdout += s), isTTY: true, columns: 1000 },
    stderr: { write: (s: string) => (stderr += s), isTTY: true, columns: 1000 },
  };
  const code = await main(argv, { io, commands });
  return { code, stdout, stderr };
}
