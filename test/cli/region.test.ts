import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ambientRegions, profileRegion } from '../../src/cli/region';
import { capture, mockAws, run, writeConfig } from './helpers';

/** The CLI works in the config's region only, and refuses when the environment or the AWS profile names another. */

const aws = mockAws();
let config: ReturnType<typeof writeConfig>;
let home: string;
beforeAll(() => {
  config = writeConfig();
  home = mkdtempSync(path.join(tmpdir(), 'berth-home-'));
  mkdirSync(path.join(home, '.aws'));
  writeFileSync(
    path.join(home, '.aws', 'config'),
    [
      '# shared config',
      '[default]',
      'region = us-east-1',
      '',
      '[profile ops]',
      'region=eu-west-1 ; the team account',
      'output = json',
      '',
      '[profile sso-only]',
      'sso_session = corp',
      '',
    ].join('\n'),
  );
});
afterAll(() => {
  config.remove();
  rmSync(home, { recursive: true, force: true });
});
beforeEach(() => {
  aws.reset();
  aws.sm.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
});

const secretsList = (env: Record<string, string>) =>
  run(['secrets', 'list', 'cash-collection'], capture({ env }), config.file, { aws: aws.factory });

describe('the region', () => {
  it('given AWS_REGION names another region, when a command talks to AWS, then it exits 2 naming both and how to fix it, before any call', async () => {
    const r = await secretsList({ AWS_REGION: 'eu-west-1' });

    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `Error: AWS_REGION is eu-west-1, but ${config.file} says region: us-east-1. Berth works only in the config's region and does not guess which one you meant: unset AWS_REGION (or set it to us-east-1); or, if the platform is in eu-west-1, change region in ${config.file}. Then try again.\n`,
    );
    expect(aws.regions).toEqual([]);
    expect(aws.sm.calls()).toHaveLength(0);
  });

  it('given AWS_DEFAULT_REGION names another region, when a command runs with --json, then the error code is region-mismatch', async () => {
    const r = await run(
      ['secrets', 'list', 'cash-collection', '--json'],
      capture({ env: { AWS_DEFAULT_REGION: 'ap-south-1' } }),
      config.file,
      { aws: aws.factory },
    );

    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'region-mismatch',
        message: expect.stringContaining('AWS_DEFAULT_REGION is ap-south-1') as string,
      },
    });
  });

  it("given AWS_REGION equal to the config's, when a command runs, then it uses that region", async () => {
    const r = await secretsList({ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' });

    expect(r.code, r.stderr).toBe(0);
    expect(aws.regions).toEqual(['us-east-1']);
  });

  it('given AWS_PROFILE whose region in ~/.aws/config is another, when a command runs, then it exits 2 naming the profile and the file', async () => {
    const r = await secretsList({ HOME: home, AWS_PROFILE: 'ops' });

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `the region of profile ops in ${path.join(home, '.aws', 'config')} is eu-west-1, but ${config.file} says region: us-east-1.`,
    );
    expect(r.stderr).toContain(
      'set AWS_REGION=us-east-1 for this shell, or use a profile whose region is us-east-1',
    );
  });

  it("given that profile and AWS_REGION equal to the config's, when a command runs, then AWS_REGION decides, as for the AWS CLI", async () => {
    expect((await secretsList({ HOME: home, AWS_PROFILE: 'ops', AWS_REGION: 'us-east-1' })).code).toBe(0);
  });

  it('given the default profile in us-east-1, or a profile without a region, when a command runs, then it goes ahead', async () => {
    expect((await secretsList({ HOME: home })).code).toBe(0);
    expect((await secretsList({ HOME: home, AWS_PROFILE: 'sso-only' })).code).toBe(0);
  });

  it('given AWS_CONFIG_FILE, when the profile region is read, then that file is used', () => {
    const file = path.join(home, 'other-config');
    writeFileSync(file, '[profile default]\nregion = sa-east-1\n');

    expect(ambientRegions({ AWS_CONFIG_FILE: file, HOME: home })).toEqual([
      { source: `the region of profile default in ${file}`, region: 'sa-east-1' },
    ]);
  });
});

describe('profileRegion', () => {
  it('given INI text, when a profile is looked up, then its region is read and comments are ignored', () => {
    const ini =
      '[default]\nregion = us-east-2 # home\n[profile a]\n  region =  eu-north-1\n[sso-session corp]\nregion = us-west-2\n';
    expect(profileRegion(ini, 'default')).toBe('us-east-2');
    expect(profileRegion(ini, 'a')).toBe('eu-north-1');
    expect(profileRegion(ini, 'corp')).toBeUndefined();
    expect(profileRegion('', 'default')).toBeUndefined();
  });
});
