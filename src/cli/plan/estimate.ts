import { priceOf, regionPrices, type PriceFile } from './prices';

/**
 * The monthly cost arithmetic of `berth plan`: a pure function of counted resources, stated assumptions and a
 * price file. Nothing here reads the config or a template (see `synth.ts` for that), so a reviewer can check
 * every line by hand: each priced line's `monthlyUsd` is exactly `quantity × unitPrice`. A line the price file
 * has no price for (another region, an instance type it does not list) keeps its quantity, says which price is
 * missing, and is left out of the total, which then says so: the estimate never makes a number up.
 */

/** What the estimate cannot count from the config and has to assume; each is a `berth plan` flag. */
export interface Assumptions {
  /** GB processed by the NAT gateways per month. */
  readonly natGb: number;
  /** Millions of HTTP API requests per month. */
  readonly requests: number;
  /** Releases (pipeline executions that build) per project per month. */
  readonly releases: number;
  /** Minutes one image build takes (each architecture builds once per release, in parallel). */
  readonly buildMinutes: number;
  /** Minutes the Test stage takes. */
  readonly testMinutes: number;
  /** GB of logs ingested per month (flow logs, API access logs, containers, functions, builds). */
  readonly logGb: number;
  /** GB of images kept in each project's ECR repository. */
  readonly imageGb: number;
  /** GB of pipeline artifacts kept in each project's S3 bucket. */
  readonly artifactGb: number;
  /** Average load balancer capacity units the ALB consumes. */
  readonly lcu: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  natGb: 50,
  requests: 10,
  releases: 40,
  buildMinutes: 8,
  testMinutes: 5,
  logGb: 10,
  imageGb: 2,
  artifactGb: 1,
  lcu: 1,
};

/** The flag of each assumption and what it means, in the order they are printed. */
export const ASSUMPTION_FLAGS: readonly { key: keyof Assumptions; flag: string; meaning: string }[] = [
  { key: 'natGb', flag: 'nat-gb', meaning: 'GB through the NAT gateways per month' },
  { key: 'requests', flag: 'requests', meaning: 'million API requests per month' },
  { key: 'releases', flag: 'releases', meaning: 'releases per project per month' },
  { key: 'buildMinutes', flag: 'build-minutes', meaning: 'minutes of one image build (per architecture)' },
  { key: 'testMinutes', flag: 'test-minutes', meaning: 'minutes of the Test stage' },
  { key: 'logGb', flag: 'log-gb', meaning: 'GB of logs ingested per month' },
  { key: 'imageGb', flag: 'image-gb', meaning: 'GB of images in ECR per project' },
  { key: 'artifactGb', flag: 'artifact-gb', meaning: 'GB of pipeline artifacts in S3 per project' },
  { key: 'lcu', flag: 'lcu', meaning: 'average ALB load balancer capacity units' },
];

/** Minutes of the Checkout stage (a shallow fetch of one commit). */
export const CHECKOUT_MINUTES = 1;
/** Minutes of the Source action (CodePipeline reads a fixed S3 object). */
export const SOURCE_MINUTES = 1;
/**
 * Assumed seconds each release function works per release (its CodePipeline action lasts as long, billed in
 * whole minutes): Scan waits for ECR's findings, Push retags, Deploy waits for CloudFormation and ECS (the
 * service's rollout), Verify calls the health path until it passes.
 */
export const RELEASE_STAGE_SECONDS: Readonly<Record<string, number>> = {
  scan: 120,
  push: 30,
  deploy: 300,
  verify: 60,
};

/** Minutes a pipeline action of each stage is billed for, per release. */
export function actionMinutes(stage: string, a: Assumptions): number {
  const s = stage.toLowerCase();
  if (s === 'source') return SOURCE_MINUTES;
  if (s === 'checkout') return CHECKOUT_MINUTES;
  if (s === 'test') return a.testMinutes;
  if (s === 'build' || s.startsWith('build-')) return a.buildMinutes;
  const seconds = RELEASE_STAGE_SECONDS[s];
  return seconds === undefined ? 1 : Math.ceil(seconds / 60);
}

/** A Lambda function invoked on every release, or several alike (one per project). */
export interface FunctionInput {
  /** What the line says: a function name, or `<prefix>-<project>-deploy` for one per project. */
  readonly name: string;
  /** `platform`: one for all projects, invoked on every project's releases; `project`: one per project. */
  readonly scope: 'platform' | 'project';
  /** How many such functions the templates hold (1 for a platform function, the projects for a per-project one). */
  readonly count: number;
  readonly memoryMiB: number;
  /** As CloudFormation names it: `arm64` or `x86_64`. */
  readonly architecture: string;
  readonly invocationsPerRelease: number;
  readonly secondsPerInvocation: number;
}

/** CodeBuild projects of one stage and build environment, across the pipelines. */
export interface CodeBuildInput {
  /** `checkout`, `test`, `build-amd64`, `build-arm64`. */
  readonly stage: string;
  /** `LINUX_CONTAINER` or `ARM_CONTAINER`. */
  readonly environmentType: string;
  /** `BUILD_GENERAL1_SMALL`, ... */
  readonly computeType: string;
  /** How many such projects (one per pipeline that has the stage). */
  readonly count: number;
}

/** Everything counted from the config and the synthesized templates, plus the assumptions. */
export interface CostInputs {
  readonly region: string;
  readonly natGateways: number;
  /** Public IPv4 addresses held all month (the NAT gateways' Elastic IPs). */
  readonly publicIpv4Addresses: number;
  readonly loadBalancers: number;
  readonly instanceType: string;
  /** Instances running all month: the ASG's minimum, the steady state. */
  readonly instances: number;
  /** The ASG's maximum, only to say what scaling out would mean. */
  readonly maxInstances: number;
  readonly rootVolumeGiB: number;
  /** One per project. */
  readonly pipelines: number;
  readonly secrets: number;
  readonly kmsKeys: number;
  readonly alarms: number;
  readonly dashboards: number;
  readonly logRetentionDays: number;
  readonly codeBuild: readonly CodeBuildInput[];
  /** Billed actions of every pipeline by stage name (manual approvals are not billed and not listed). */
  readonly pipelineActions: readonly { readonly stage: string; readonly count: number }[];
  readonly functions: readonly FunctionInput[];
  /** Secrets Manager calls per release (webhook, Checkout, commit status, tasks starting). */
  readonly secretCallsPerRelease: number;
  readonly assumptions: Assumptions;
}

export interface CostLine {
  readonly id: string;
  readonly item: string;
  /** In `unit`s; `quantity × unitPrice = monthlyUsd`. */
  readonly quantity: number;
  /** What `quantity` counts, plural (`hours`, `GB-months`, ...). */
  readonly unit: string;
  /** Null when the price file has no price for it (see `unpriced`). */
  readonly unitPrice: number | null;
  /** What one `unitPrice` buys, singular (`hour`, `GB-month`, ...). */
  readonly per: string;
  readonly monthlyUsd: number | null;
  /** Where the quantity comes from, in words, with the numbers. */
  readonly assumption: string;
  /** Why the line has no price: `no price for eu-west-1 in prices.json`. */
  readonly unpriced?: string;
}

export interface CostEstimate {
  readonly region: string;
  readonly currency: string;
  readonly pricesDate: string;
  readonly pricesSource: string;
  /** The price file, as named in the lines without a price. */
  readonly pricesFile: string;
  readonly hoursPerMonth: number;
  readonly assumptions: Assumptions;
  readonly lines: readonly CostLine[];
  /** The sum of the priced lines only. */
  readonly totalUsd: number;
  /** False when some line has no price: `totalUsd` then leaves it out. */
  readonly complete: boolean;
  readonly unpricedLines: readonly { readonly id: string; readonly reason: string }[];
  /** What the estimate leaves out, so nobody mistakes it for a bill. */
  readonly notIncluded: readonly string[];
}

export const NOT_INCLUDED = [
  'free tiers and savings plans (list prices throughout)',
  'data transfer out to the internet and between Availability Zones',
  'Container Insights and custom CloudWatch metrics, CloudWatch and KMS API requests',
  'SNS, SQS, EventBridge and DynamoDB (a few cents at these volumes), S3 requests, the ALB access-log bucket',
  'scaling above the minimum: more EC2 instances while the ASG is above cluster.minCapacity',
  'rollbacks and redeploys (no CodeBuild; a few action minutes and Lambda seconds each), one-off tasks (berth run)',
  'taxes',
] as const;

/** CodeBuild compute types as the pricing pages name them: `general1.small`, `arm1.large`. */
export function computeTypeLabel(environmentType: string, computeType: string): string {
  const size = computeType.replace(/^BUILD_GENERAL1_/, '').toLowerCase();
  return environmentType === 'ARM_CONTAINER' ? `arm1.${size}` : `general1.${size}`;
}

/** The monthly estimate; a price the file lacks leaves its line unpriced, never a guess. */
export function estimateMonthlyCost(
  inputs: CostInputs,
  prices: PriceFile,
  pricesFile = 'prices.json',
): CostEstimate {
  const region = inputs.region;
  const p = regionPrices(prices, region);
  const a = inputs.assumptions;
  const h = prices.hoursPerMonth;
  const releasesPerMonth = inputs.pipelines * a.releases;
  const lines: CostLine[] = [];
  const noRegion = `no price for ${region} in ${pricesFile}`;
  /** `price` undefined: the file lacks it; `what` names the missing entry when the region itself is there. */
  const line = (
    l: Omit<CostLine, 'monthlyUsd' | 'unitPrice' | 'unpriced'>,
    price: number | undefined,
    what?: string,
  ) => {
    if (price === undefined) {
      const unpriced =
        p === undefined ? noRegion : `no price for ${what ?? l.item} in ${region} in ${pricesFile}`;
      lines.push({ ...l, unitPrice: null, monthlyUsd: null, unpriced });
    } else {
      lines.push({ ...l, unitPrice: price, monthlyUsd: l.quantity * price });
    }
  };

  // Network.
  line(
    {
      id: 'nat-gateway-hours',
      item: 'NAT gateway hours',
      quantity: inputs.natGateways * h,
      unit: 'hours',
      per: 'hour',
      assumption: `${inputs.natGateways} NAT gateways (one per AZ) × ${h} h`,
    },
    p?.natGateway.perHour,
  );
  line(
    {
      id: 'nat-gateway-data',
      item: 'NAT gateway data processed',
      quantity: a.natGb,
      unit: 'GB',
      per: 'GB',
      assumption: `--nat-gb ${a.natGb}: GB through the NAT gateways per month`,
    },
    p?.natGateway.perGbProcessed,
  );
  line(
    {
      id: 'public-ipv4',
      item: 'Public IPv4 addresses',
      quantity: inputs.publicIpv4Addresses * h,
      unit: 'IP-hours',
      per: 'IP-hour',
      assumption: `${inputs.publicIpv4Addresses} Elastic IPs of the NAT gateways × ${h} h; the ALB is internal, the instances private`,
    },
    p?.publicIpv4.perHour,
  );
  line(
    {
      id: 'alb-hours',
      item: 'Application Load Balancer hours',
      quantity: inputs.loadBalancers * h,
      unit: 'hours',
      per: 'hour',
      assumption: `${inputs.loadBalancers} internal ALB × ${h} h`,
    },
    p?.applicationLoadBalancer.perHour,
  );
  line(
    {
      id: 'alb-lcu',
      item: 'Application Load Balancer LCUs',
      quantity: a.lcu * inputs.loadBalancers * h,
      unit: 'LCU-hours',
      per: 'LCU-hour',
      assumption: `--lcu ${a.lcu}: average LCUs × ${h} h`,
    },
    p?.applicationLoadBalancer.perLcuHour,
  );

  // Compute.
  line(
    {
      id: 'ec2',
      item: `EC2 ${inputs.instanceType} instances`,
      quantity: inputs.instances * h,
      unit: 'instance-hours',
      per: 'instance-hour',
      assumption: `cluster.minCapacity ${inputs.instances} instances all month (the steady state; up to ${inputs.maxInstances} while scaled out) × ${h} h`,
    },
    priceOf(p?.ec2.perHour, inputs.instanceType),
    inputs.instanceType,
  );
  line(
    {
      id: 'ebs',
      item: 'EBS gp3 root volumes',
      quantity: inputs.instances * inputs.rootVolumeGiB,
      unit: 'GB-months',
      per: 'GB-month',
      assumption: `${inputs.instances} instances × ${inputs.rootVolumeGiB} GiB (cluster.rootVolumeGiB)`,
    },
    p?.ebs.gp3PerGbMonth,
  );

  // Edge.
  line(
    {
      id: 'http-api',
      item: 'HTTP API requests',
      quantity: a.requests,
      unit: 'M requests',
      per: 'million requests',
      assumption: `--requests ${a.requests}: million requests per month (first-300M tier)`,
    },
    p?.httpApi.perMillionRequests,
  );
  const invocationsPerMonth = (f: FunctionInput) =>
    (f.scope === 'platform' ? releasesPerMonth : a.releases * f.count) * f.invocationsPerRelease;
  line(
    {
      id: 'lambda-requests',
      item: 'Lambda requests',
      quantity: sum(inputs.functions.map(invocationsPerMonth)) / 1e6,
      unit: 'M requests',
      per: 'million requests',
      assumption: `${releasesPerMonth} releases × ${sum(inputs.functions.map((f) => f.invocationsPerRelease))} invocations (${inputs.functions.map((f) => `${shortName(f)} ${f.invocationsPerRelease}`).join(', ')})`,
    },
    p?.lambda.perMillionRequests,
  );
  const byArchitecture = new Map<string, FunctionInput[]>();
  for (const f of inputs.functions) {
    byArchitecture.set(f.architecture, [...(byArchitecture.get(f.architecture) ?? []), f]);
  }
  for (const [arch, fns] of byArchitecture) {
    const gbSeconds = sum(
      fns.map((f) => invocationsPerMonth(f) * f.secondsPerInvocation * (f.memoryMiB / 1024)),
    );
    line(
      {
        id: `lambda-compute-${arch}`,
        item: `Lambda compute (${arch})`,
        quantity: gbSeconds,
        unit: 'GB-s',
        per: 'GB-second',
        assumption: `${releasesPerMonth} releases × (${fns
          .map((f) => `${shortName(f)} ${f.invocationsPerRelease} × ${f.secondsPerInvocation} s`)
          .join(' + ')})${gbLabel(fns)}`,
      },
      priceOf(p?.lambda.perGbSecond, arch),
      `Lambda ${arch}`,
    );
  }

  // Secrets, keys, monitoring.
  line(
    {
      id: 'secrets',
      item: 'Secrets Manager secrets',
      quantity: inputs.secrets,
      unit: 'secret-months',
      per: 'secret-month',
      assumption: `${inputs.secrets} secrets in the templates (PAT, webhook and app per project)`,
    },
    p?.secretsManager.perSecretMonth,
  );
  line(
    {
      id: 'secrets-api',
      item: 'Secrets Manager API calls',
      quantity: (releasesPerMonth * inputs.secretCallsPerRelease) / 10_000,
      unit: '10k calls',
      per: '10,000 calls',
      assumption: `${releasesPerMonth} releases × ${inputs.secretCallsPerRelease} calls (webhook, Checkout, commit status, tasks starting)`,
    },
    p?.secretsManager.per10kApiCalls,
  );
  line(
    {
      id: 'kms',
      item: 'KMS customer managed keys',
      quantity: inputs.kmsKeys,
      unit: 'key-months',
      per: 'key-month',
      assumption: `${inputs.kmsKeys} AWS::KMS::Key in the templates`,
    },
    p?.kms.perKeyMonth,
  );
  line(
    {
      id: 'alarms',
      item: 'CloudWatch alarms (standard resolution)',
      quantity: inputs.alarms,
      unit: 'alarm-months',
      per: 'alarm-month',
      assumption: `${inputs.alarms} AWS::CloudWatch::Alarm in the templates`,
    },
    p?.cloudWatch.perAlarmMonth,
  );
  line(
    {
      id: 'dashboards',
      item: 'CloudWatch dashboards',
      quantity: inputs.dashboards,
      unit: 'dashboard-months',
      per: 'dashboard-month',
      assumption: `${inputs.dashboards} AWS::CloudWatch::Dashboard in the templates`,
    },
    p?.cloudWatch.perDashboardMonth,
  );
  line(
    {
      id: 'logs-ingested',
      item: 'CloudWatch Logs ingested',
      quantity: a.logGb,
      unit: 'GB',
      per: 'GB',
      assumption: `--log-gb ${a.logGb}: GB of logs per month`,
    },
    p?.cloudWatch.logsPerGbIngested,
  );
  const storedMonths = inputs.logRetentionDays / 30;
  line(
    {
      id: 'logs-stored',
      item: 'CloudWatch Logs stored',
      quantity: a.logGb * storedMonths,
      unit: 'GB-months',
      per: 'GB-month',
      assumption: `steady state: ${a.logGb} GB per month kept ${inputs.logRetentionDays} days (logRetentionDays) = ${round(storedMonths, 4)} month(s) of logs`,
    },
    p?.cloudWatch.logsPerGbMonthStored,
  );

  // Delivery.
  const actionsPerMonth =
    sum(inputs.pipelineActions.map((x) => x.count * actionMinutes(x.stage, a))) * a.releases;
  line(
    {
      id: 'codepipeline',
      item: 'CodePipeline V2 action minutes',
      quantity: actionsPerMonth,
      unit: 'action-minutes',
      per: 'action-minute',
      assumption: `--releases ${a.releases} × (${inputs.pipelineActions
        .map((x) => `${x.count} ${x.stage} × ${actionMinutes(x.stage, a)} min`)
        .join(' + ')}); each action is billed in whole minutes, manual approvals are not billed`,
    },
    p?.codePipeline.v2PerActionMinute,
  );
  const codeBuildGroups = new Map<string, CodeBuildInput[]>();
  for (const c of inputs.codeBuild) {
    const key = `${c.environmentType}:${c.computeType}`;
    codeBuildGroups.set(key, [...(codeBuildGroups.get(key) ?? []), c]);
  }
  for (const group of codeBuildGroups.values()) {
    const { environmentType, computeType } = group[0];
    const label = computeTypeLabel(environmentType, computeType);
    const arm = environmentType === 'ARM_CONTAINER';
    const minutes = (stage: string) => actionMinutes(stage, a);
    const flag = (stage: string) =>
      stage === 'test' ? ' (--test-minutes)' : stage.startsWith('build') ? ' (--build-minutes)' : '';
    line(
      {
        id: `codebuild-${label.replace('.', '-')}`,
        item: `CodeBuild ${label} (${arm ? 'Arm' : 'Linux'})`,
        quantity: a.releases * sum(group.map((c) => c.count * minutes(c.stage))),
        unit: 'build minutes',
        per: 'build minute',
        assumption: `--releases ${a.releases} × (${group
          .map((c) => `${c.count} ${c.stage} × ${minutes(c.stage)} min${flag(c.stage)}`)
          .join(' + ')})`,
      },
      priceOf(arm ? p?.codeBuild.armPerMinute : p?.codeBuild.perMinute, computeType),
      `CodeBuild ${environmentType} ${computeType}`,
    );
  }
  line(
    {
      id: 'ecr',
      item: 'ECR image storage',
      quantity: inputs.pipelines * a.imageGb,
      unit: 'GB-months',
      per: 'GB-month',
      assumption: `${inputs.pipelines} repositories × --image-gb ${a.imageGb}`,
    },
    p?.ecr.perGbMonth,
  );
  line(
    {
      id: 's3',
      item: 'S3 Standard artifact storage',
      quantity: inputs.pipelines * a.artifactGb,
      unit: 'GB-months',
      per: 'GB-month',
      assumption: `${inputs.pipelines} artifact buckets × --artifact-gb ${a.artifactGb}`,
    },
    p?.s3.standardPerGbMonth,
  );

  const unpricedLines = lines.filter((l) => l.unpriced).map((l) => ({ id: l.id, reason: l.unpriced ?? '' }));
  return {
    region,
    currency: prices.currency,
    pricesDate: prices.date,
    pricesSource: prices.source,
    pricesFile,
    hoursPerMonth: h,
    assumptions: a,
    lines,
    totalUsd: sum(lines.map((l) => l.monthlyUsd ?? 0)),
    complete: unpricedLines.length === 0,
    unpricedLines,
    notIncluded: NOT_INCLUDED,
  };
}

/** `berth-webhook`, or `scan` for the per-project release functions. */
function shortName(f: FunctionInput): string {
  return f.scope === 'project' ? (f.name.split('-').pop() ?? f.name) : f.name;
}

/** ` at 0.25 GB` when every function has that memory, else each one's. */
function gbLabel(fns: readonly FunctionInput[]): string {
  const sizes = [...new Set(fns.map((f) => f.memoryMiB))];
  if (sizes.length === 1) return ` at ${round(sizes[0] / 1024, 4)} GB`;
  return ` at ${fns.map((f) => `${round(f.memoryMiB / 1024, 4)} GB (${shortName(f)})`).join(', ')}`;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}

/** `x` rounded to `digits` decimals (for printing; the arithmetic above never rounds). */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
