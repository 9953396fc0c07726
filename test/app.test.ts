import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Validations } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CFN_MAX_RESOURCES } from '../src/config/limits';
import { buildApp, cdkContext, REPO_ROOT } from './support/app';

const tsxCli = require.resolve('tsx/cli');

/** Runs the CDK app entry as the CLI would, with only the given environment (no AWS variables at all). */
function runApp(env: Record<string, string>) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'berth-app-'));
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
  it('synthesizes every stack with no AWS credentials, profile or region in the environment', () => {
    // Bundling is not what this pins (the functions' own tests bundle them): skipped, as in every other test.
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
  });

  it('emits no template and prints each problem when the config is bad', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-bad-'));
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

  it('passes cdk-nag AwsSolutions with every acknowledgement carrying a reason', () => {
    const { app } = buildApp(undefined, true);
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports ?? []).flatMap(
      (p: { violations?: { ruleName: string }[] }) => p.violations ?? [],
    );
    // The seed has no alert destination on purpose (it names no one's e-mail): that warning, and only it, stays.
    expect(violations.map((v: { ruleName: string }) => v.ruleName)).toEqual([
      'Annotation::berth:no-alert-destination',
    ]);

    const reasons: string[] = [];
    for (const node of app.node.findAll()) {
      for (const m of node.node.metadata) {
        if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          reasons.push(...Object.values(m.data as Record<string, string>));
      }
    }
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason.length, reason).toBeGreaterThan(40);
  });

  it('fails synth when cdk-nag finds an unacknowledged problem', () => {
    const { app, platform } = buildApp(undefined, true);
    new s3.Bucket(platform, 'Careless', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/Validation failed|AwsSolutions/);
  });
});
