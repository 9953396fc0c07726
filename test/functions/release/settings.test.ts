import { describe, expect, it } from 'vitest';
import {
  deploySettings,
  pushSettings,
  scanSettings,
  verifySettings,
} from '../../../src/functions/release/settings';

const base = { BERTH_PROJECT: 'cash-collection', AWS_REGION: 'eu-west-1' };

describe('the functions environment', () => {
  it('given a complete Scan environment without optional values, when read, then the defaults apply', () => {
    expect(
      scanSettings({
        ...base,
        REPOSITORY_NAME: 'berth/cash-collection',
        IMAGE_ARCHITECTURES: 'amd64, ARM64,amd64',
      }),
    ).toEqual({
      ok: true,
      settings: {
        project: 'cash-collection',
        region: 'eu-west-1',
        repositoryName: 'berth/cash-collection',
        architectures: ['amd64', 'arm64'],
        severity: 'CRITICAL',
        timeoutSeconds: 600,
      },
    });
  });

  it('given a severity and a timeout, when read, then they are used', () => {
    const r = scanSettings({
      ...base,
      REPOSITORY_NAME: 'r',
      IMAGE_ARCHITECTURES: 'arm64',
      SCAN_SEVERITY: 'high',
      SCAN_TIMEOUT_SECONDS: '120',
    });
    expect(r).toMatchObject({ ok: true, settings: { severity: 'HIGH', timeoutSeconds: 120 } });
  });

  it('given several bad values, when read, then one error names each variable', () => {
    const r = scanSettings({
      AWS_REGION: 'eu-west-1',
      REPOSITORY_NAME: 'Bad Name',
      IMAGE_ARCHITECTURES: 'amd64,s390x',
      SCAN_SEVERITY: 'SEVERE',
      SCAN_TIMEOUT_SECONDS: '0',
    });
    expect(r.ok).toBe(false);
    const error = r.ok ? '' : r.error;
    expect(error).toContain('BERTH_PROJECT is not set');
    expect(error).toContain('REPOSITORY_NAME must be an ECR repository name (got "Bad Name")');
    expect(error).toContain(
      'IMAGE_ARCHITECTURES must list architectures among amd64, arm64 (got "amd64,s390x")',
    );
    expect(error).toContain(
      'SCAN_SEVERITY must be one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL (got "SEVERE")',
    );
    expect(error).toContain(
      'SCAN_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 10800 (got "0")',
    );
  });

  it('given a Push environment without architectures, when read, then it is refused', () => {
    expect(pushSettings({ ...base, REPOSITORY_NAME: 'r' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('IMAGE_ARCHITECTURES is not set'),
    });
  });

  it('given a Deploy environment, when read, then the timeout defaults to 1800 s and the role must be an ARN', () => {
    const env = {
      ...base,
      STACK_NAME: 'berth-cash-collection',
      RELEASE_ROLE_ARN: 'arn:aws:iam::123456789012:role/berth-cash-collection-release',
      RELEASE_LOG_PARAMETER: '/berth/cash-collection/release',
      CLUSTER_NAME: 'berth',
      SERVICE_NAME: 'cash-collection',
    };
    expect(deploySettings(env)).toMatchObject({ ok: true, settings: { timeoutSeconds: 1800 } });
    expect(deploySettings({ ...env, RELEASE_ROLE_ARN: 'berth-release' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('RELEASE_ROLE_ARN must be an IAM role ARN'),
    });
  });

  it('given a Verify environment with and without a health URL, when read, then a worker has none and the timeout is 300 s', () => {
    const env = { ...base, CLUSTER_NAME: 'berth', SERVICE_NAME: 'worker' };
    expect(verifySettings(env)).toEqual({
      ok: true,
      settings: {
        project: 'cash-collection',
        region: 'eu-west-1',
        clusterName: 'berth',
        serviceName: 'worker',
        timeoutSeconds: 300,
      },
    });
    expect(verifySettings({ ...env, HEALTH_URL: 'http://internal-alb.local/api/health' })).toMatchObject({
      ok: true,
      settings: { healthUrl: 'http://internal-alb.local/api/health' },
    });
    expect(verifySettings({ ...env, HEALTH_URL: 'ftp://x' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('HEALTH_URL must be an http(s) URL'),
    });
  });
});
