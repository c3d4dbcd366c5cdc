// `node --import ./test/support/record-modules.mjs …`: appends the URL of every module the process
// resolves (through the ES module loader, tsx's included) to the file MOODLE_HA_RECORD_MODULES
// names, one a line. Tests use it to see what a command line loads (e.g. that --help never loads
// aws-cdk-lib).
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.MOODLE_HA_RECORD_MODULES) appendFileSync(process.env.MOODLE_HA_RECORD_MODULES, r.url + '\\n');
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
