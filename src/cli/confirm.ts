// Asks a person at the terminal to confirm a change that deletes something, by typing the
// cluster's name. Ctrl-C at the prompt is a "no".
import { createInterface } from 'node:readline/promises';

export async function confirmByName(cluster: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const ask = new AbortController();
  rl.once('SIGINT', () => ask.abort());
  try {
    return (await rl.question(`Type the cluster name (${cluster}) to go on: `, { signal: ask.signal })).trim() === cluster;
  } catch {
    return false;
  } finally {
    rl.close();
  }
}
