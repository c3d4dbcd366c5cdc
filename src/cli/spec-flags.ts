// Loading the spec for a command, with the flags that override it (--profile).
import { readSpec, type LoadedSpec } from '../spec/read.ts';
import type { CommandContext } from './command.ts';

/** The spec with --profile applied, and any other overrides a command's own flags make. */
export function specFor(ctx: CommandContext, extra: Record<string, unknown> = {}): LoadedSpec {
  const overrides: Record<string, unknown> = { ...extra };
  if (typeof ctx.values.profile === 'string') overrides.profile = ctx.values.profile;
  return readSpec({ file: ctx.specFile, cwd: ctx.cwd, overrides });
}
