// Reads moodle-ha.yaml (optional), validates it and resolves defaults. Every problem is reported
// with its path and what to change; nothing is created before the spec is valid.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { chooseSpec } from './hint.ts';
import { resolveDefaults, specSchema, type Spec } from './schema.ts';
import { excerpt, explainYamlError } from './yaml-errors.ts';

export const DEFAULT_SPEC_FILE = 'moodle-ha.yaml';

export interface LoadedSpec {
  readonly spec: Spec;
  /** The file read, or undefined when defaults were used. */
  readonly file: string | undefined;
  /** Folder that relative paths in the spec (plugins, configBundle) are resolved against. */
  readonly baseDir: string;
}

export interface ReadSpecOptions {
  /** Path given with --spec; when unset, ./moodle-ha.yaml is read if it exists. */
  readonly file?: string;
  readonly cwd?: string;
  /**
   * Values from command-line flags, merged over the file (e.g. { profile: 'ha' }). A mapping is
   * merged key by key, so { autoscaler: { enabled: true } } keeps the file's autoscaler.interval.
   */
  readonly overrides?: Record<string, unknown>;
}

/**
 * Reads and validates the spec. Also records, for the commands this run prints (src/spec/hint.ts),
 * the spec file and profile the command line gave.
 */
export function readSpec(opts: ReadSpecOptions = {}): LoadedSpec {
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.file !== undefined;
  const file = resolve(cwd, opts.file ?? DEFAULT_SPEC_FILE);
  let raw: unknown = {};
  if (existsSync(file)) {
    raw = parseYaml(readFileSync(file, 'utf8'), file);
  } else if (explicit) {
    throw new UserError(`spec file ${file} does not exist: check the --spec path, or leave --spec out to use the defaults`);
  }
  const merged: Record<string, unknown> = { ...(isObject(raw) ? raw : {}) };
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    const current = merged[key];
    merged[key] = isObject(value) && isObject(current) ? { ...current, ...value } : value;
  }
  const spec = validateSpec(merged, existsSync(file) ? file : '(defaults)');
  // The commands this run prints for the user to run next repeat the spec it was given (hint.ts).
  chooseSpec({ file: explicit ? file : undefined, profile: typeof opts.overrides?.profile === 'string' ? opts.overrides.profile : undefined });
  return { spec, file: existsSync(file) ? file : undefined, baseDir: existsSync(file) ? dirname(file) : cwd };
}

export function validateSpec(raw: unknown, source = '(spec)'): Spec {
  if (raw !== null && raw !== undefined && !isObject(raw)) {
    throw new UserError(`${source}: the spec must be a YAML mapping (key: value lines), not a ${Array.isArray(raw) ? 'list' : typeof raw}`);
  }
  const result = specSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new UserError(
      `${source} is not valid (${result.error.issues.length} problem${result.error.issues.length > 1 ? 's' : ''}); nothing was changed:`,
      formatIssues(result.error.issues),
    );
  }
  return resolveDefaults(result.data);
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : '(top level)';
    let message = i.message;
    if (i.code === 'unrecognized_keys')
      message = `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}: remove ${i.keys.length > 1 ? 'them' : 'it'} or check the spelling`;
    else if (i.code === 'invalid_type') message = `${message}: ${hintForType(i.expected)}`;
    else if (i.code === 'invalid_value' && 'values' in i) message = `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    return `${path}: ${message}`;
  });
}

function hintForType(expected: string): string {
  switch (expected) {
    case 'number':
      return 'write a number without quotes';
    case 'string':
      return 'write a text value (quote it if it looks like a number)';
    case 'object':
      return 'write a mapping of keys indented below this one';
    case 'array':
      return 'write a list, one "- item" per line';
    case 'boolean':
      return 'write true or false';
    default:
      return `expected ${expected}`;
  }
}

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    // The first error is the one to fix; the parser's later ones usually follow from it.
    const p = explainYamlError(text, doc.errors);
    const more = doc.errors.filter((e) => e.linePos?.[0]?.line !== doc.errors[0]!.linePos?.[0]?.line).length;
    throw new UserError(`${file} is not valid YAML (line ${p.line}, column ${p.col}); nothing was changed:`, [
      [p.message, ...excerpt(text, p).map((l) => `    ${l}`)].join('\n'),
      ...(more ? [`fix this first: the parser's ${more} other complaint${more > 1 ? 's' : ''} about later lines may follow from it`] : []),
    ]);
  }
  return doc.toJS();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
