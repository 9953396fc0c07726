import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createApp } from '../../app';
import { CFN_MAX_RESOURCES } from '../../config/limits';
import { platformNames, projectNames } from '../../config/names';
import type { ParsedConfig } from '../../config/schema';
import { STAGES } from '../../contracts';
import {
  RELEASE_STAGE_SECONDS,
  type Assumptions,
  type CodeBuildInput,
  type CostInputs,
  type FunctionInput,
} from './estimate';

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
  /** `web`: routed on the load balancer (path and listener rule priority); `worker`: no path, no ALB. */
  readonly kind: 'web' | 'worker';
  readonly path?: string;
  readonly priority?: number;
  readonly stages: number;
  readonly stageNames: readonly string[];
  readonly approval: boolean;
  readonly cpu: number;
  readonly memory: number;
  readonly minCount: number;
  readonly maxCount: number;
  /** Image architectures built per release (`amd64`, `arm64`). */
  readonly architectures: readonly string[];
}

/** The repository's cdk.json: the feature flags `cdk synth` applies, so the plan counts what a deploy makes. */
const CDK_JSON = path.resolve(__dirname, '..', '..', '..', 'cdk.json');

/** Calls a release makes to each function: the webhook once, pipeline-events on STARTED and on the end state. */
const INVOCATIONS_PER_RELEASE = { webhook: 1, pipelineEvents: 2 } as const;
/** Assumed average duration of one invocation of the webhook and pipeline-events (one or two API calls). */
const SECONDS_PER_INVOCATION = 1;
/**
 * Secrets Manager calls per release: the webhook's credentials (1), Checkout's PAT (1), the commit status
 * posts' PAT (2), and the app secret for each task that starts (2 to 6): about 10.
 */
export const SECRET_CALLS_PER_RELEASE = 10;

/**
 * `cdk.json`'s context, plus: no asset bundling (nothing is deployed), none of the stack traces CDK records where
 * each construct was created, and no per-construct analytics (metadata plan never reads; collecting both takes
 * almost half of a synth).
 */
export function planContext(cdkJson = CDK_JSON): Record<string, unknown> {
  const context = (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: Record<string, unknown> })
    .context;
  return {
    ...context,
    'aws:cdk:bundling-stacks': [],
    'aws:cdk:disable-stack-trace': true,
    'aws:cdk:disable-creation-stack-traces': true,
    // Nor each construct's properties and method calls as analytics metadata (nothing here reads them).
    '@aws-cdk/core:enableAdditionalMetadataCollection': false,
  };
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
      // plan prints its own warnings (the alerts one among them), in its own words and in --json.
      warnings: false,
      // No tree.json either: plan reads the templates only.
      appProps: { context, outdir, builtinCloudFormationValidation: false, treeMetadata: false },
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
    kind: p.path === undefined ? ('worker' as const) : ('web' as const),
    ...(p.path !== undefined ? { path: p.path } : {}),
    ...(p.priority !== undefined ? { priority: p.priority } : {}),
    stages: STAGES.length,
    stageNames: [...STAGES],
    approval: p.pipeline.approval,
    cpu: p.service.cpu,
    memory: p.service.memory,
    minCount: p.service.minCount,
    maxCount: p.service.maxCount,
    architectures: p.build.platforms.map((x) => x.replace('linux/', '')),
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

  // CodeBuild projects by stage (`<prefix>-<project>-<stage>`) and build environment.
  const stageOf = new Map<string, string>();
  for (const p of config.projects) {
    const names = projectNames(config, p);
    for (const stage of ['checkout', 'test', 'build-amd64', 'build-arm64']) {
      stageOf.set(names.codeBuildProject(stage), stage);
    }
  }
  const codeBuild = new Map<string, CodeBuildInput>();
  for (const project of resourcesOfType(stacks, 'AWS::CodeBuild::Project')) {
    const env = project.Properties?.Environment as { ComputeType?: string; Type?: string } | undefined;
    const name = typeof project.Properties?.Name === 'string' ? project.Properties.Name : '';
    const stage = stageOf.get(name) ?? 'other';
    const environmentType = env?.Type ?? 'LINUX_CONTAINER';
    const computeType = env?.ComputeType ?? 'BUILD_GENERAL1_SMALL';
    const key = `${stage}|${environmentType}|${computeType}`;
    const prev = codeBuild.get(key);
    codeBuild.set(key, { stage, environmentType, computeType, count: (prev?.count ?? 0) + 1 });
  }

  // Billed actions by stage name (manual approvals are free).
  const actions = new Map<string, number>();
  for (const p of pipelines) {
    const stages = (p.Properties?.Stages ?? []) as {
      Name: string;
      Actions: { ActionTypeId: { Category: string } }[];
    }[];
    for (const stage of stages) {
      const billed = stage.Actions.filter((a) => a.ActionTypeId.Category !== 'Approval').length;
      if (billed > 0) actions.set(stage.Name, (actions.get(stage.Name) ?? 0) + billed);
    }
  }
  const stageOrder = (s: string) => {
    const i = (STAGES as readonly string[]).indexOf(s);
    return i < 0 ? STAGES.length : i;
  };

  const names = platformNames(config);
  const functions = resourcesOfType(stacks, 'AWS::Lambda::Function');
  const describeFn = (props: Record<string, unknown>) => ({
    memoryMiB: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
    architecture: (props.Architectures as string[] | undefined)?.[0] ?? 'x86_64',
  });
  const platformFunction = (functionName: string, invocationsPerRelease: number): FunctionInput[] => {
    const fn = functions.find((f) => f.Properties?.FunctionName === functionName);
    if (!fn) return [];
    return [
      {
        name: functionName,
        scope: 'platform',
        count: 1,
        ...describeFn(fn.Properties ?? {}),
        invocationsPerRelease,
        secondsPerInvocation: SECONDS_PER_INVOCATION,
      },
    ];
  };
  const releaseFunctions: FunctionInput[] = Object.entries(RELEASE_STAGE_SECONDS).flatMap(
    ([stage, seconds]) => {
      const wanted = new Set(config.projects.map((p) => projectNames(config, p).releaseFunction(stage)));
      const found = functions.filter((f) => wanted.has(String(f.Properties?.FunctionName)));
      if (found.length === 0) return [];
      return [
        {
          name: `${config.prefix}-<project>-${stage}`,
          scope: 'project' as const,
          count: found.length,
          ...describeFn(found[0].Properties ?? {}),
          invocationsPerRelease: 1,
          secondsPerInvocation: seconds,
        },
      ];
    },
  );

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
    codeBuild: [...codeBuild.values()],
    pipelineActions: [...actions.entries()]
      .sort(([a], [b]) => stageOrder(a) - stageOrder(b))
      .map(([stage, n]) => ({ stage, count: n })),
    functions: [
      ...platformFunction(names.webhookFunctionName, INVOCATIONS_PER_RELEASE.webhook),
      ...platformFunction(names.pipelineEventsFunctionName, INVOCATIONS_PER_RELEASE.pipelineEvents),
      ...releaseFunctions,
    ],
    secretCallsPerRelease: SECRET_CALLS_PER_RELEASE,
    assumptions,
  };
}
