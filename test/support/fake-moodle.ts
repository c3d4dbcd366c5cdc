// A fake Moodle tree with every path `moodle import` checks for, for tests of the source cache.
// Its version.php is a 4.5.6 one, or one of test/fixtures/moodle-versions (VERSION_FIXTURES).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REQUIRED_PATHS } from '../../src/moodle/import.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'moodle-versions');
/** version.php files: a supported release, one too old, one too new, one unreadable without PHP. */
export const VERSION_FIXTURES = {
  supported: join(FIXTURES, 'supported-4.5.6', 'version.php'),
  tooOld: join(FIXTURES, 'too-old-4.4.9', 'version.php'),
  tooNew: join(FIXTURES, 'too-new-5.0.2', 'version.php'),
  unparsable: join(FIXTURES, 'unparsable', 'version.php'),
} as const;

export function makeFakeTree(dir: string, release = '4.5.6 (Build: 20250811)', versionPhp?: string): string {
  for (const p of REQUIRED_PATHS) {
    const file = join(dir, p);
    if (p === 'theme/boost') {
      mkdirSync(file, { recursive: true });
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, p === 'lib/components.json' ? '{"plugintypes":{"local":"local"},"subsystems":{}}' : '<?php\n');
  }
  if (versionPhp) copyFileSync(versionPhp, join(dir, 'version.php'));
  else writeFileSync(join(dir, 'version.php'), `<?php\n$version  = 2024100706.00;\n$release  = '${release}';\n$branch   = '405';\n`);
  return dir;
}
