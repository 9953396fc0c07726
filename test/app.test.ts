import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Validations } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CFN_MAX_RESOURCES } from '../src/config/limits';
import { createApp } from '../src/app';
import { cdkContext, configWith, REPO_ROOT, scratchDir } from './support/app';

const tsxCli = require.resolve('tsx/cli');

/** Runs the CDK app entry as the CLI would, with only the given environment (no AWS variables at all). */
function runApp(env: Record<string, string>) {
  const outdir = scratchDir('berth-app-');
  const base = { PATH: process.env.PATH ?? '', HOME: tmpdir(), CDK_OUTDIR: outdir, CDK_VALIDATION: 'false' };
  const r = spawnSync(process.execPath, [tsxCli, path.join(REPO_ROOT, 'bin', 'berth.ts')], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    encoding: 'utf8',
  });
  const templates = existsSync(outdir) ? readdirSync(outdir).filter((f) => f.endsWith('.template.json')) : [];
  return { ...r, outdir, templates };
}

describe('the CDK app', () => {
  it('given no AWS credentials, profile or region in the environment, when the app runs as cdk runs it, then every stack synthesizes, cdk-nag passes, and each acknowledgement carries a reason', () => {
    // Bundling is not what this pins (the functions' own tests bundle them): skipped, as in every other test;
    // and without the stack traces and analytics no test reads (cdkContext), which change no template.
    const r = runApp({
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext(), 'aws:cdk:bundling-stacks': [] }),
    });
    expect(r.stderr).not.toMatch(/credential|Need to perform AWS calls/i);
    expect(r.status).toBe(0);
    expect(r.templates.sort()).toEqual(
      ['berth-cash-collection', 'berth-network', 'berth-platform', 'berth-poultry-sale'].map(
        (s) => `${s}.template.json`,
      ),
    );
    for (const file of r.templates) {
      const resources = Object.keys(JSON.parse(readFileSync(path.join(r.outdir, file), 'utf8')).Resources);
      expect(resources.length, file).toBeLessThan(CFN_MAX_RESOURCES / 4);
    }

    // cdk-nag's AwsSolutions pack runs in this entry (the test below) and found nothing: it would have failed the
    // synth. The seed has no alert destination on purpose (it names no one's e-mail): that warning, and only it,
    // is reported.
    const report = JSON.parse(readFileSync(path.join(r.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations?: { ruleName: string }[] }[];
    };
    expect(report.pluginReports.flatMap((p) => p.violations ?? []).map((v) => v.ruleName)).toEqual([
      'Annotation::berth:no-alert-destination',
    ]);
    const reasons = readdirSync(r.outdir)
      .filter((f) => f.endsWith('.metadata.json'))
      .flatMap((f) =>
        Object.values(
          JSON.parse(readFileSync(path.join(r.outdir, f), 'utf8')) as Record<
            string,
            { type: string; data: unknown }[]
          >,
        ).flat(),
      )
      .filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((e) => Object.values(e.data as Record<string, string>));
    expect(reasons.length).toBeGreaterThan(50);
    for (const reason of reasons) expect(reason.length, reason).toBeGreaterThan(40);
  });

  it('emits no template and prints each problem when the config is bad', () => {
    const dir = scratchDir('berth-bad-');
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      readFileSync(path.join(REPO_ROOT, 'berth.yaml'), 'utf8').replace('priority: 20', 'priority: 10'),
    );
    const r = runApp({ BERTH_CONFIG: bad });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/projects\[1\]\.priority: 10 — a priority unique among projects/);
    expect(r.templates).toEqual([]);
  });

  it('given the app as the CDK entry builds it (cdk-nag on by default; one project), when a resource breaks an AwsSolutions rule, then synth fails naming it', () => {
    // One project is enough to see cdk-nag run (and cheaper to check than two).
    const { app, platform } = createApp(
      configWith((raw) => {
        raw.projects = (raw.projects as unknown[]).slice(0, 1);
      }),
      {
        appProps: {
          context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] },
          outdir: scratchDir('cdk.out-'),
          treeMetadata: false,
        },
      },
    );
    new s3.Bucket(platform, 'Careless', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-S10[\s\S]*Careless|Careless[\s\S]*AwsSolutions-S10/);
  });
});
