// The two files written for each drill run under the output folder: drill-<name>-<time>.json and
// the same name with .html.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderHtml } from './html.ts';
import type { DrillResult } from './result.ts';

/** Writes the JSON and the HTML report; returns their paths. */
export function writeResultFiles(r: DrillResult, outDir: string): { json: string; html: string } {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `drill-${r.drill}-${r.startedAt.replace(/[:.]/g, '-')}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(`${base}.html`, renderHtml(r));
  return { json: `${base}.json`, html: `${base}.html` };
}
