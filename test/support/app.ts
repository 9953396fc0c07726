import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Stage, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp, type BerthApp } from '../../src/app';
import { loadConfig, validateConfig } from '../../src/config/load';
import type { ParsedConfig } from '../../src/config/schema';
import { SCRATCH_ENV } from './global-setup';

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** cdk.json's context: the feature flags the CDK CLI applies. */
function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context;
}

/**
 * The context tests build apps with: cdk.json's feature flags, without the stack traces CDK records where each
 * construct and metadata entry was created, and without construct analytics (metadata no test reads; collecting
 * both takes almost half of a build).
 */
export function cdkContext(): Record<string, unknown> {
  return {
    ...cdkJsonContext(),
    'aws:cdk:disable-stack-trace': true,
    'aws:cdk:disable-creation-stack-traces': true,
    '@aws-cdk/core:enableAdditionalMetadataCollection': false,
  };
}

/** The default config (the seed). */
export function seedConfig(): ParsedConfig {
  return loadConfig(path.join(REPO_ROOT, 'berth.yaml'));
}

/** The seed config with changes applied to its raw form, validated like a file would be. */
export function configWith(change: (raw: Record<string, unknown>) => void): ParsedConfig {
  const raw = JSON.parse(JSON.stringify(seedConfig())) as Record<string, unknown>;
  change(raw);
  return validateConfig(raw);
}

/**
 * A new folder in the run's scratch folder (removed when the run ends: test/support/global-setup.ts), or in the
 * system's temporary directory when the file runs without that setup.
 */
export function scratchDir(prefix: string): string {
  const parent = process.env[SCRATCH_ENV] ?? tmpdir();
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(path.join(parent, prefix));
}

/** Apps already built in this test worker, by config (test files of one worker share modules: vitest.config.mts). */
const built = new Map<string, BerthApp>();

/**
 * Builds the app (without cdk-nag unless asked) with cdk.json's context, no built-in CFN validation and no
 * Lambda bundling (`aws:cdk:bundling-stacks`: none; templates are the same, the code asset is a placeholder).
 * Without cdk-nag, an app already built for an equal config is returned again: a build and synth takes about a
 * second, and the templates of one config never differ. Never add constructs to such an app; build with
 * `nag: true` (never shared) or your own `createApp` to change one.
 */
export function buildApp(config: ParsedConfig = seedConfig(), nag = false): BerthApp {
  const make = () =>
    createApp(config, {
      nag,
      appProps: {
        context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] },
        outdir: scratchDir('cdk.out-'),
        // No tree.json (the construct tree for the CDK CLI and console): no test reads it.
        treeMetadata: false,
      },
    });
  if (nag) return make();
  const key = JSON.stringify(config);
  let app = built.get(key);
  if (!app) {
    app = make();
    built.set(key, app);
  }
  return app;
}

/** The seed app, shared by the test files that read its templates (see {@link buildApp}). */
export function seedApp(): BerthApp {
  return buildApp();
}

/**
 * A stack's template. The app is synthesized once, not once per stack (`Template.fromStack` forces a new synth of
 * the whole app every call); so add every construct before asking for a template.
 */
export function template(stack: Stack): Template {
  const app = Stage.of(stack)!;
  const assembly = app.synth();
  return Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template as Record<string, unknown>);
}
