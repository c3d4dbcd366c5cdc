// A fake Moodle tree with every path `moodle import` checks for, for tests of the source cache.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REQUIRED_PATHS } from '../../src/moodle/import.ts';

export function makeFakeTree(dir: string, release = '4.5.6 (Build: 20250811)'): string {
  for (const p of REQUIRED_PATHS) {
    const file = join(dir, p);
    if (p === 'theme/boost') {
      mkdirSync(file, { recursive: true });
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, p === 'lib/components.json' ? '{"plugintypes":{"local":"local"},"subsystems":{}}' : '<?php\n');
  }
  writeFileSync(join(dir, 'version.php'), `<?php\n$version  = 2024100706.00;\n$release  = '${release}';\n$branch   = '405';\n`);
  return dir;
}
