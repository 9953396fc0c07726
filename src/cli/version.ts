import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The package's name and version, from the package.json of this checkout (two levels above src/cli). */
export function packageVersion(): { name: string; version: string } {
  const file = path.resolve(__dirname, '..', '..', 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
  return { name: pkg.name ?? 'berth', version: pkg.version ?? '0.0.0' };
}
