import {
  IMAGE_PLATFORMS,
  RELEASE_ENV,
  SEVERITIES,
  type ImageArchitecture,
  type Severity,
} from '../../contracts';
import { quote } from './text';

/**
 * Each release function's environment, set by the infrastructure per project (names in `RELEASE_ENV`) and
 * validated on every invocation: a bad value fails the job with the variable named, rather than the function
 * throwing (which CodePipeline would only see as a timeout).
 */

/** Defaults and bounds of the waits, in seconds. */
export const TIMEOUTS = {
  scan: { env: RELEASE_ENV.scanTimeoutSeconds, defaultSeconds: 600 },
  deploy: { env: RELEASE_ENV.deployTimeoutSeconds, defaultSeconds: 1800 },
  verify: { env: RELEASE_ENV.verifyTimeoutSeconds, defaultSeconds: 300 },
} as const;
/** No wait may be configured longer than this (CodePipeline ends a Lambda action's job long before). */
export const MAX_TIMEOUT_SECONDS = 3 * 60 * 60;
export const DEFAULT_SCAN_SEVERITY: Severity = 'CRITICAL';

export type Env = Readonly<Record<string, string | undefined>>;

export type SettingsResult<T> =
  | { readonly ok: true; readonly settings: T }
  | { readonly ok: false; readonly project: string; readonly error: string };

interface Common {
  /** BERTH_PROJECT. */
  readonly project: string;
  /** AWS_REGION (Lambda sets it): console links and role ARNs in messages. */
  readonly region: string;
}

export interface ScanSettings extends Common {
  readonly repositoryName: string;
  readonly architectures: readonly ImageArchitecture[];
  readonly severity: Severity;
  readonly timeoutSeconds: number;
}

export interface PushSettings extends Common {
  readonly repositoryName: string;
  readonly architectures: readonly ImageArchitecture[];
}

export interface DeploySettings extends Common {
  readonly stackName: string;
  readonly releaseRoleArn: string;
  readonly releaseLogParameter: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly timeoutSeconds: number;
}

export interface VerifySettings extends Common {
  readonly clusterName: string;
  readonly serviceName: string;
  /** Absent for a worker (no HTTP route). */
  readonly healthUrl?: string;
  readonly timeoutSeconds: number;
}

/** Collects every problem of an environment, so one failure names them all. */
class Reader {
  readonly problems: string[] = [];
  constructor(readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  }

  required(name: string, pattern?: RegExp, what?: string): string {
    const v = this.raw(name);
    if (v === undefined) {
      this.problems.push(`${name} is not set`);
      return '';
    }
    if (pattern !== undefined && !pattern.test(v)) {
      this.problems.push(`${name} must be ${what ?? `like ${pattern.source}`} (got ${quote(v)})`);
      return '';
    }
    return v;
  }

  timeout(t: { readonly env: string; readonly defaultSeconds: number }): number {
    const v = this.raw(t.env);
    if (v === undefined) return t.defaultSeconds;
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_TIMEOUT_SECONDS) {
      this.problems.push(
        `${t.env} must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (got ${quote(v)})`,
      );
      return t.defaultSeconds;
    }
    return Number(v);
  }

  architectures(): ImageArchitecture[] {
    const name = RELEASE_ENV.architectures;
    const v = this.raw(name);
    const known = Object.values(IMAGE_PLATFORMS) as string[];
    if (v === undefined) {
      this.problems.push(`${name} is not set (a comma-separated list of ${known.join(', ')})`);
      return [];
    }
    const archs: ImageArchitecture[] = [];
    for (const part of v.split(',').map((p) => p.trim().toLowerCase())) {
      if (!known.includes(part)) {
        this.problems.push(`${name} must list architectures among ${known.join(', ')} (got ${quote(v)})`);
        return [];
      }
      if (!archs.includes(part as ImageArchitecture)) archs.push(part as ImageArchitecture);
    }
    return archs;
  }

  severity(): Severity {
    const name = RELEASE_ENV.scanSeverity;
    const v = this.raw(name);
    if (v === undefined) return DEFAULT_SCAN_SEVERITY;
    const upper = v.toUpperCase();
    if (!(SEVERITIES as readonly string[]).includes(upper)) {
      this.problems.push(`${name} must be one of ${SEVERITIES.join(', ')} (got ${quote(v)})`);
      return DEFAULT_SCAN_SEVERITY;
    }
    return upper as Severity;
  }

  healthUrl(): string | undefined {
    const name = RELEASE_ENV.healthUrl;
    const v = this.raw(name);
    if (v === undefined) return undefined;
    try {
      const url = new URL(v);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be an http(s) URL (got ${quote(v)})`);
    return undefined;
  }

  common(): Common {
    return {
      project: this.required(RELEASE_ENV.project),
      region: this.raw('AWS_REGION') ?? this.raw('AWS_DEFAULT_REGION') ?? 'us-east-1',
    };
  }

  result<T>(settings: T): SettingsResult<T> {
    if (this.problems.length === 0) return { ok: true, settings };
    return {
      ok: false,
      project: this.raw(RELEASE_ENV.project) ?? 'unknown',
      error: `the function's environment is invalid: ${this.problems.join('; ')}`,
    };
  }
}

/** ECR repository names. */
const REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** A stack name or id. */
const STACK = /^(?:[A-Za-z][A-Za-z0-9-]{0,127}|arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/.+)$/;

export function scanSettings(env: Env): SettingsResult<ScanSettings> {
  const r = new Reader(env);
  return r.result({
    ...r.common(),
    repositoryName: r.required(RELEASE_ENV.repositoryName, REPOSITORY, 'an ECR repository name'),
    architectures: r.architectures(),
    severity: r.severity(),
    timeoutSeconds: r.timeout(TIMEOUTS.scan),
  });
}

export function pushSettings(env: Env): SettingsResult<PushSettings> {
  const r = new Reader(env);
  return r.result({
    ...r.common(),
    repositoryName: r.required(RELEASE_ENV.repositoryName, REPOSITORY, 'an ECR repository name'),
    architectures: r.architectures(),
  });
}

export function deploySettings(env: Env): SettingsResult<DeploySettings> {
  const r = new Reader(env);
  return r.result({
    ...r.common(),
    stackName: r.required(RELEASE_ENV.stackName, STACK, 'a CloudFormation stack name'),
    releaseRoleArn: r.required(RELEASE_ENV.releaseRoleArn, ROLE_ARN, 'an IAM role ARN'),
    releaseLogParameter: r.required(RELEASE_ENV.releaseLogParameter),
    clusterName: r.required(RELEASE_ENV.clusterName),
    serviceName: r.required(RELEASE_ENV.serviceName),
    timeoutSeconds: r.timeout(TIMEOUTS.deploy),
  });
}

export function verifySettings(env: Env): SettingsResult<VerifySettings> {
  const r = new Reader(env);
  const healthUrl = r.healthUrl();
  return r.result({
    ...r.common(),
    clusterName: r.required(RELEASE_ENV.clusterName),
    serviceName: r.required(RELEASE_ENV.serviceName),
    ...(healthUrl !== undefined ? { healthUrl } : {}),
    timeoutSeconds: r.timeout(TIMEOUTS.verify),
  });
}
