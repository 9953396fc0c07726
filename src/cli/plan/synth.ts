import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createApp } from '../../app';
import { CFN_MAX_RESOURCES } from '../../config/limits';
import { platformNames } from '../../config/names';
import type { ParsedConfig } from '../../config/schema';
import { STAGES } from '../../project/pipeline/pipeline';
import type { Assumptions, CostInputs, FunctionInput } from './estimate';

/**
 * The part of `berth plan` that looks at the app: synthesizes it in-process, offline (no lookups, no AWS
 * calls, no Lambda bundling), and turns the config and the templates into the plan's tables and the inputs
 * of the cost estimate.
 */

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface SynthesizedStack {
  readonly name: string;
  readonly resources: Readonly<Record<string, Resource>>;
}

export interface StackRow {
  readonly name: string;
  readonly resources: number;
  readonly limit: number;
}

export interface ProjectRow {
  readonly name: string;
  readonly path: string;
  readonly priority: number;
  readonly stages: number;
  readonly stageNames: readonly string[];
  readonly approval: boolean;
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  readonly minCount: number;
  readonly maxCount: number;
}

/** The repository's cdk.json: the feature flags `cdk synth` applies, so the plan counts what a deploy makes. */
const CDK_JSON = path.resolve(__dirname, '..', '..', '..', 'cdk.json');

/** Calls a release makes to each function: the webhook once, pipeline-events on STARTED and on the end state. */
const INVOCATIONS_PER_RELEASE = { webhook: 1, pipelineEvents: 2 } as const;
/** Assumed average duration of one invocation (both functions make one or two API calls). */
const SECONDS_PER_INVOCATION = 1;
/**
 * Secrets Manager calls per release: the webhook's credentials (1), Checkout's PAT (1), the commit status
 * posts' PAT (2), and the app secret for each task that starts (2 to 6): about 10.
 */
export const SECRET_CALLS_PER_RELEASE = 10;

/** `cdk.json`'s context, plus: no asset bundling (nothing is deployed) and no built-in validation. */
export function planContext(cdkJson = CDK_JSON): Record<string, unknown> {
  const context = (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: Record<string, unknown> })
    .context;
  return { ...context, 'aws:cdk:bundling-stacks': [] };
}

/** Synthesizes the whole app into a temporary directory (removed afterwards) and returns its templates. */
export function synthesize(
  config: ParsedConfig,
  context: Record<string, unknown> = planContext(),
): SynthesizedStack[] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'berth-plan-'));
  try {
    const { app } = createApp(config, {
      nag: false,
      appProps: { context, outdir, builtinCloudFormationValidation: false },
    });
    return app.synth().stacks.map((s) => ({
      name: s.stackName,
      resources: ((s.template as { Resources?: Record<string, Resource> }).Resources ?? {}) as Record<
        string,
        Resource
      >,
    }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function stackRows(stacks: readonly SynthesizedStack[]): StackRow[] {
  return stacks.map((s) => ({
    name: s.name,
    resources: Object.keys(s.resources).length,
    limit: CFN_MAX_RESOURCES,
  }));
}

export function projectRows(config: ParsedConfig): ProjectRow[] {
  return config.projects.map((p) => ({
    name: p.name,
    path: p.path,
    priority: p.priority,
    stages: STAGES.length,
    stageNames: [...STAGES],
    approval: p.pipeline.approval,
    cpu: p.service.cpu,
    memory: p.service.memory,
    desiredCount: p.service.desiredCount,
    minCount: p.service.minCount,
    maxCount: p.service.maxCount,
  }));
}

/** Every resource of a type, across the stacks. */
export function resourcesOfType(stacks: readonly SynthesizedStack[], type: string): Resource[] {
  return stacks.flatMap((s) => Object.values(s.resources).filter((r) => r.Type === type));
}

/** What the estimate needs, counted from the config (instances, volumes) and the templates (everything else). */
export function gatherCostInputs(
  config: ParsedConfig,
  stacks: readonly SynthesizedStack[],
  assumptions: Assumptions,
): CostInputs {
  const count = (type: string) => resourcesOfType(stacks, type).length;
  const pipelines = resourcesOfType(stacks, 'AWS::CodePipeline::Pipeline');
  const perPipeline = (n: number) => (pipelines.length === 0 ? 0 : n / pipelines.length);

  const computeTypes: Record<string, number> = {};
  for (const project of resourcesOfType(stacks, 'AWS::CodeBuild::Project')) {
    const env = project.Properties?.Environment as { ComputeType?: string } | undefined;
    const type = env?.ComputeType ?? 'BUILD_GENERAL1_SMALL';
    computeTypes[type] = (computeTypes[type] ?? 0) + 1;
  }
  for (const type of Object.keys(computeTypes)) computeTypes[type] = perPipeline(computeTypes[type]);

  // Billed actions other than CodeBuild: the S3 source (manual approvals are free).
  const otherActions = pipelines.flatMap((p) =>
    (
      (p.Properties?.Stages as { Actions: { ActionTypeId: { Category: string; Provider: string } }[] }[]) ??
      []
    )
      .flatMap((s) => s.Actions)
      .filter((a) => a.ActionTypeId.Category !== 'Approval' && a.ActionTypeId.Provider !== 'CodeBuild'),
  );

  const names = platformNames(config);
  const functions = resourcesOfType(stacks, 'AWS::Lambda::Function');
  const releaseFunction = (functionName: string, invocationsPerRelease: number): FunctionInput[] => {
    const fn = functions.find((f) => f.Properties?.FunctionName === functionName);
    if (!fn) return [];
    const props = fn.Properties ?? {};
    return [
      {
        name: functionName,
        memoryMiB: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
        architecture: (props.Architectures as string[] | undefined)?.[0] ?? 'x86_64',
        invocationsPerRelease,
        secondsPerInvocation: SECONDS_PER_INVOCATION,
      },
    ];
  };

  return {
    region: config.region,
    natGateways: count('AWS::EC2::NatGateway'),
    publicIpv4Addresses: count('AWS::EC2::EIP'),
    loadBalancers: count('AWS::ElasticLoadBalancingV2::LoadBalancer'),
    instanceType: config.cluster.instanceType,
    instances: config.cluster.minCapacity,
    maxInstances: config.cluster.maxCapacity,
    rootVolumeGiB: config.cluster.rootVolumeGiB,
    pipelines: pipelines.length,
    secrets: count('AWS::SecretsManager::Secret'),
    kmsKeys: count('AWS::KMS::Key'),
    alarms: count('AWS::CloudWatch::Alarm'),
    dashboards: count('AWS::CloudWatch::Dashboard'),
    logRetentionDays: config.logRetentionDays,
    codeBuildActionsPerPipeline: computeTypes,
    otherActionsPerRelease: perPipeline(otherActions.length),
    functions: [
      ...releaseFunction(names.webhookFunctionName, INVOCATIONS_PER_RELEASE.webhook),
      ...releaseFunction(names.pipelineEventsFunctionName, INVOCATIONS_PER_RELEASE.pipelineEvents),
    ],
    secretCallsPerRelease: SECRET_CALLS_PER_RELEASE,
    assumptions,
  };
}
