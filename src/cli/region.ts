import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { usageError } from './errors';

/**
 * Which region the CLI talks to: always the config's `region`. Berth never takes the region from the environment
 * or the AWS profile, and refuses to run when they name another one, because the AWS CLI and `cdk` run in the
 * same shell would then act on a different region than `berth` does:
 *
 * - `AWS_REGION` and `AWS_DEFAULT_REGION`, each when set;
 * - the region of the selected profile (`AWS_PROFILE`, else `default`) in the shared config file
 *   (`AWS_CONFIG_FILE`, else `~/.aws/config`), when neither variable is set: that is when the AWS CLI and the
 *   CDK would use it.
 */

export interface RegionSource {
  /** `AWS_REGION`, `AWS_DEFAULT_REGION` or `profile default in ~/.aws/config`. */
  readonly source: string;
  readonly region: string;
}

/** The regions set outside berth.yaml that the AWS tools in this shell would use, in their precedence order. */
export function ambientRegions(env: Readonly<Record<string, string | undefined>>): RegionSource[] {
  const out: RegionSource[] = [];
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
    const v = env[name]?.trim();
    if (v) out.push({ source: name, region: v });
  }
  if (out.length > 0) return out;
  const profile = env.AWS_PROFILE?.trim() || 'default';
  const file = sharedConfigFile(env);
  if (!file) return out;
  const region = profileRegion(readIfPresent(file), profile);
  if (region) out.push({ source: `the region of profile ${profile} in ${file}`, region });
  return out;
}

/** The config's region; a usage error naming both when the environment or the profile names another one. */
export function checkRegion(
  configRegion: string,
  configFile: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const clashes = ambientRegions(env).filter((r) => r.region !== configRegion);
  if (clashes.length === 0) return configRegion;
  const named = clashes.map((c) => `${c.source} is ${c.region}`).join(' and ');
  const fixes = clashes.map((c) =>
    c.source.startsWith('AWS_')
      ? `unset ${c.source} (or set it to ${configRegion})`
      : `set AWS_REGION=${configRegion} for this shell, or use a profile whose region is ${configRegion}`,
  );
  throw usageError(
    `${named}, but ${configFile} says region: ${configRegion}. Berth works only in the config's region and does not guess which one you meant: ${fixes.join('; ')}; or, if the platform is in ${clashes[0].region}, change region in ${configFile}. Then try again.`,
    'region-mismatch',
  );
}

/** `AWS_CONFIG_FILE`, else `<home>/.aws/config`; undefined when no home is known. */
function sharedConfigFile(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.AWS_CONFIG_FILE?.trim()) return env.AWS_CONFIG_FILE.trim();
  const home = env.HOME || env.USERPROFILE;
  return home ? path.join(home, '.aws', 'config') : undefined;
}

function readIfPresent(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * `region` of a profile in the shared config file's INI text: `[default]` (or `[profile default]`) for the default
 * profile, `[profile <name>]` for the others. Comments start with `#` or `;`.
 */
export function profileRegion(ini: string, profile: string): string | undefined {
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inSection = false;
  let found: string | undefined;
  for (const raw of ini.split(/\r?\n/)) {
    const line = raw.replace(/\s[#;].*$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) {
      inSection = wanted.includes(section[1].replace(/\s+/g, ' '));
      continue;
    }
    if (!inSection) continue;
    const kv = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (kv && kv[1].toLowerCase() === 'region' && kv[2].trim() !== '') found = kv[2].trim();
  }
  return found;
}
