import * as path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { Command } from '../context';
import { CliError, EXIT_FAILURE, usageError } from '../errors';
import { requireLoadsTypeScript } from '../launcher';
import {
  ASSUMPTION_FLAGS,
  DEFAULT_ASSUMPTIONS,
  estimateMonthlyCost,
  type Assumptions,
} from '../plan/estimate';
import { alertsWarning } from '../../shared/alert-channels';
import { planPlacement } from '../plan/placement';
import { PriceError, defaultPrices, readPriceFile, type PriceFile } from '../plan/prices';
import { planJson, renderPlan } from '../plan/render';

const USAGE = 'berth plan';

/**
 * plan/synth builds the CDK app, so it loads aws-cdk-lib and cdk-nag (about a second): only `plan` runs it, and
 * `help` (which loads every command) does not wait for it. Loaded as main.ts loads commands.
 */
function loadSynth(): Promise<typeof import('../plan/synth')> {
  /* eslint-disable @typescript-eslint/no-require-imports -- see main.ts's lazyCommand */
  return requireLoadsTypeScript()
    ? Promise.resolve(require('../plan/synth') as typeof import('../plan/synth'))
    : import('../plan/synth');
  /* eslint-enable @typescript-eslint/no-require-imports */
}

const OPTIONS = {
  ...Object.fromEntries(ASSUMPTION_FLAGS.map((f) => [f.flag, { type: 'string' }])),
  prices: { type: 'string' },
} as ParseArgsConfig['options'];

/**
 * `berth plan`: offline, from the config and the app synthesized in-process, the stacks (resources against
 * CloudFormation's limit), the projects, and a monthly cost estimate from the price file.
 */
export const planCommand: Command = {
  name: 'plan',
  usage: USAGE,
  summary: 'Show the stacks, the projects and a monthly cost estimate, offline',
  description: [
    'Synthesizes the app from the config in-process (no AWS credentials, no network) and prints: the stacks with',
    'their resource counts against the 500 CloudFormation allows; the projects with their path and rule priority',
    '(a worker has neither), pipeline stages, images built, task size and counts; how many tasks of each project',
    'one host of cluster.instanceType holds (by network interfaces with ENI trunking, by CPU, by memory: the',
    "smallest wins) and whether cluster.maxCapacity hosts hold every project's minCount plus one rolling deploy",
    '(200 %); and a monthly cost estimate for the config in its region, each line with its quantity, unit price',
    'and how the quantity is counted. Prices come from src/cli/plan/prices.json (dated, with its source) or',
    '--prices <file> of the same shape. A line the file has no price for (another region, an instance type it',
    'does not list) says so and is left out of the total, which then says it covers the priced lines only.',
    'Warnings (placement, unpriced lines, alarms that reach nobody) are listed at the end.',
    '',
    'Per release the estimate counts: Checkout 1 min and Test --test-minutes on CodeBuild, one image build',
    'per architecture (--build-minutes each: amd64 on general1.medium, arm64 on arm1.large), and the release',
    'functions Scan 2 min, Push 30 s, Deploy 5 min, Verify 1 min (Lambda, 256 MB); every pipeline action is',
    'billed in whole minutes. Rollbacks and redeploys are not counted.',
    '',
    'Assumptions, each a flag (default in brackets):',
    ...ASSUMPTION_FLAGS.map(
      (f) => `  --${`${f.flag} <n>`.padEnd(19)} ${f.meaning} [${DEFAULT_ASSUMPTIONS[f.key]}]`,
    ),
    `  ${'--prices <file>'.padEnd(21)} another price file (another region, newer prices)`,
    '',
    'Examples:',
    '  berth plan',
    '  berth plan --releases 100 --requests 50 --json',
  ].join('\n'),
  options: OPTIONS,

  async run(ctx, positionals, values) {
    if (positionals.length > 0) {
      throw usageError(
        `berth plan takes no arguments (got ${positionals.join(' ')}): it plans every project in the config.`,
      );
    }
    const assumptions = parseAssumptions(values);
    const prices = loadPrices(values.prices);
    const pricesFile = values.prices === undefined ? 'prices.json' : path.basename(String(values.prices));
    const config = ctx.config();

    const synthesized = await ctx.out.withProgress(
      `Synthesizing the app from ${ctx.configFile} (offline)`,
      async () => {
        const { gatherCostInputs, projectRows, stackRows, synthesize } = await loadSynth();
        let stacks;
        try {
          stacks = synthesize(config);
        } catch (e) {
          throw new CliError(
            `Synthesizing the app from ${ctx.configFile} failed (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): run \`npm run synth\` to see the whole error.`,
            'internal',
            EXIT_FAILURE,
          );
        }
        return {
          stacks: stackRows(stacks),
          projects: projectRows(config),
          inputs: gatherCostInputs(config, stacks, assumptions),
        };
      },
    );

    const estimate = estimateMonthlyCost(synthesized.inputs, prices, pricesFile);
    const placement = planPlacement(config);
    const warnings = [...placement.warnings];
    if (!estimate.complete) {
      const reasons = [...new Set(estimate.unpricedLines.map((l) => l.reason))];
      warnings.push(
        `${estimate.unpricedLines.length} of ${estimate.lines.length} cost lines have no price (${reasons.join('; ')}): the total covers the priced lines only. Give a price file that has them with --prices <file>.`,
      );
    }
    const alerts = alertsWarning(config);
    if (alerts) warnings.push(alerts);
    const report = {
      config: ctx.configFile,
      prefix: config.prefix,
      region: config.region,
      stacks: synthesized.stacks,
      projects: synthesized.projects,
      placement,
      estimate,
      warnings,
    };
    ctx.out.result(renderPlan(report), planJson(report));
  },
};

/** The assumption flags as numbers (0 or more); the rest keep their defaults. */
export function parseAssumptions(values: Record<string, unknown>): Assumptions {
  const out: { -readonly [K in keyof Assumptions]: number } = { ...DEFAULT_ASSUMPTIONS };
  for (const f of ASSUMPTION_FLAGS) {
    const raw = values[f.flag];
    if (raw === undefined) continue;
    const text = String(raw).trim();
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || n < 0) {
      throw usageError(
        `--${f.flag} takes a number, 0 or more (${f.meaning}); got "${String(raw)}": run \`berth plan --help\` to see the flags.`,
      );
    }
    out[f.key] = n;
  }
  return out;
}

function loadPrices(file: unknown): PriceFile {
  if (file === undefined) return defaultPrices();
  try {
    return readPriceFile(path.resolve(process.cwd(), String(file)));
  } catch (e) {
    if (e instanceof PriceError)
      throw usageError(`${e.message} Fix it or leave out --prices to use the bundled prices.`);
    throw e;
  }
}
