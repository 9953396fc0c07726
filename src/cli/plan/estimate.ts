import { lookup, pricesFor, type PriceFile } from './prices';

/**
 * The monthly cost arithmetic of `berth plan`: a pure function of counted resources, stated assumptions and a
 * price file. Nothing here reads the config or a template (see `synth.ts` for that), so a reviewer can check
 * every line by hand: each line's `monthlyUsd` is exactly `quantity × unitPrice`.
 */

/** What the estimate cannot count from the config and has to assume; each is a `berth plan` flag. */
export interface Assumptions {
  /** GB processed by the NAT gateways per month. */
  readonly natGb: number;
  /** Millions of HTTP API requests per month. */
  readonly requests: number;
  /** Releases (pipeline executions) per project per month. */
  readonly releases: number;
  /** CodeBuild minutes per release, summed over the pipeline's CodeBuild stages. */
  readonly buildMinutes: number;
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
  buildMinutes: 15,
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
  { key: 'buildMinutes', flag: 'build-minutes', meaning: 'CodeBuild minutes per release, all stages' },
  { key: 'logGb', flag: 'log-gb', meaning: 'GB of logs ingested per month' },
  { key: 'imageGb', flag: 'image-gb', meaning: 'GB of images in ECR per project' },
  { key: 'artifactGb', flag: 'artifact-gb', meaning: 'GB of pipeline artifacts in S3 per project' },
  { key: 'lcu', flag: 'lcu', meaning: 'average ALB load balancer capacity units' },
];

/** A Lambda function the platform invokes on every release. */
export interface FunctionInput {
  readonly name: string;
  readonly memoryMiB: number;
  /** As CloudFormation names it: `arm64` or `x86_64`. */
  readonly architecture: string;
  readonly invocationsPerRelease: number;
  readonly secondsPerInvocation: number;
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
  /** A pipeline's CodeBuild actions by compute type, e.g. `{ BUILD_GENERAL1_SMALL: 6, BUILD_GENERAL1_MEDIUM: 1 }`. */
  readonly codeBuildActionsPerPipeline: Readonly<Record<string, number>>;
  /** Billed actions per release that are not CodeBuild (the source action), about a minute each. */
  readonly otherActionsPerRelease: number;
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
  readonly unitPrice: number;
  /** What one `unitPrice` buys, singular (`hour`, `GB-month`, ...). */
  readonly per: string;
  readonly monthlyUsd: number;
  /** Where the quantity comes from, in words, with the numbers. */
  readonly assumption: string;
}

export interface CostEstimate {
  readonly region: string;
  readonly currency: string;
  readonly pricesDate: string;
  readonly pricesSource: string;
  readonly hoursPerMonth: number;
  readonly assumptions: Assumptions;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  /** What the estimate leaves out, so nobody mistakes it for a bill. */
  readonly notIncluded: readonly string[];
}

export const NOT_INCLUDED = [
  'free tiers and savings plans (list prices throughout)',
  'data transfer out to the internet and between Availability Zones',
  'Container Insights and custom CloudWatch metrics, CloudWatch and KMS API requests',
  'SNS, SQS and EventBridge (a few cents at these volumes), S3 requests, the ALB access-log bucket',
  'scaling above the minimum: more EC2 instances while the ASG is above cluster.minCapacity',
  'taxes',
] as const;

/** CodeBuild compute types as the pricing pages name them. */
function computeTypeLabel(t: string): string {
  return t
    .replace(/^BUILD_/, '')
    .toLowerCase()
    .replace(/_/g, '.');
}

/** The monthly estimate; throws PriceError when the price file lacks the region or a price it needs. */
export function estimateMonthlyCost(inputs: CostInputs, prices: PriceFile): CostEstimate {
  const p = pricesFor(prices, inputs.region);
  const a = inputs.assumptions;
  const h = prices.hoursPerMonth;
  const releasesPerMonth = inputs.pipelines * a.releases;
  const lines: CostLine[] = [];
  const line = (l: Omit<CostLine, 'monthlyUsd'>) =>
    lines.push({ ...l, monthlyUsd: l.quantity * l.unitPrice });

  // Network.
  line({
    id: 'nat-gateway-hours',
    item: 'NAT gateway hours',
    quantity: inputs.natGateways * h,
    unit: 'hours',
    unitPrice: p.natGateway.perHour,
    per: 'hour',
    assumption: `${inputs.natGateways} NAT gateways (one per AZ) × ${h} h`,
  });
  line({
    id: 'nat-gateway-data',
    item: 'NAT gateway data processed',
    quantity: a.natGb,
    unit: 'GB',
    unitPrice: p.natGateway.perGbProcessed,
    per: 'GB',
    assumption: `--nat-gb ${a.natGb}: GB through the NAT gateways per month`,
  });
  line({
    id: 'public-ipv4',
    item: 'Public IPv4 addresses',
    quantity: inputs.publicIpv4Addresses * h,
    unit: 'IP-hours',
    unitPrice: p.publicIpv4.perHour,
    per: 'IP-hour',
    assumption: `${inputs.publicIpv4Addresses} Elastic IPs of the NAT gateways × ${h} h; the ALB is internal, the instances private`,
  });
  line({
    id: 'alb-hours',
    item: 'Application Load Balancer hours',
    quantity: inputs.loadBalancers * h,
    unit: 'hours',
    unitPrice: p.applicationLoadBalancer.perHour,
    per: 'hour',
    assumption: `${inputs.loadBalancers} internal ALB × ${h} h`,
  });
  line({
    id: 'alb-lcu',
    item: 'Application Load Balancer LCUs',
    quantity: a.lcu * inputs.loadBalancers * h,
    unit: 'LCU-hours',
    unitPrice: p.applicationLoadBalancer.perLcuHour,
    per: 'LCU-hour',
    assumption: `--lcu ${a.lcu}: average LCUs × ${h} h`,
  });

  // Compute.
  line({
    id: 'ec2',
    item: `EC2 ${inputs.instanceType} instances`,
    quantity: inputs.instances * h,
    unit: 'instance-hours',
    unitPrice: lookup(p.ec2.perHour, inputs.instanceType, 'EC2 instance-type', inputs.region),
    per: 'instance-hour',
    assumption: `cluster.minCapacity ${inputs.instances} instances all month (the steady state; up to ${inputs.maxInstances} while scaled out) × ${h} h`,
  });
  line({
    id: 'ebs',
    item: 'EBS gp3 root volumes',
    quantity: inputs.instances * inputs.rootVolumeGiB,
    unit: 'GB-months',
    unitPrice: p.ebs.gp3PerGbMonth,
    per: 'GB-month',
    assumption: `${inputs.instances} instances × ${inputs.rootVolumeGiB} GiB (cluster.rootVolumeGiB)`,
  });

  // Edge.
  line({
    id: 'http-api',
    item: 'HTTP API requests',
    quantity: a.requests,
    unit: 'M requests',
    unitPrice: p.httpApi.perMillionRequests,
    per: 'million requests',
    assumption: `--requests ${a.requests}: million requests per month (first-300M tier)`,
  });
  const invocations = releasesPerMonth * sum(inputs.functions.map((f) => f.invocationsPerRelease));
  line({
    id: 'lambda-requests',
    item: 'Lambda requests',
    quantity: invocations / 1e6,
    unit: 'M requests',
    unitPrice: p.lambda.perMillionRequests,
    per: 'million requests',
    assumption: `${releasesPerMonth} releases × (${describeInvocations(inputs.functions)}) invocations`,
  });
  const byArchitecture = new Map<string, FunctionInput[]>();
  for (const f of inputs.functions) {
    byArchitecture.set(f.architecture, [...(byArchitecture.get(f.architecture) ?? []), f]);
  }
  for (const [arch, fns] of byArchitecture) {
    const gbSeconds = sum(
      fns.map(
        (f) => releasesPerMonth * f.invocationsPerRelease * f.secondsPerInvocation * (f.memoryMiB / 1024),
      ),
    );
    line({
      id: `lambda-compute-${arch}`,
      item: `Lambda compute (${arch})`,
      quantity: gbSeconds,
      unit: 'GB-s',
      unitPrice: lookup(p.lambda.perGbSecond, arch, 'Lambda architecture', inputs.region),
      per: 'GB-second',
      assumption: `${releasesPerMonth} releases × (${fns
        .map(
          (f) =>
            `${f.invocationsPerRelease} × ${f.secondsPerInvocation} s × ${round(f.memoryMiB / 1024, 4)} GB (${f.name})`,
        )
        .join(' + ')})`,
    });
  }

  // Secrets, keys, monitoring.
  line({
    id: 'secrets',
    item: 'Secrets Manager secrets',
    quantity: inputs.secrets,
    unit: 'secret-months',
    unitPrice: p.secretsManager.perSecretMonth,
    per: 'secret-month',
    assumption: `${inputs.secrets} secrets in the templates (PAT, webhook and app per project)`,
  });
  const secretCalls = releasesPerMonth * inputs.secretCallsPerRelease;
  line({
    id: 'secrets-api',
    item: 'Secrets Manager API calls',
    quantity: secretCalls / 10_000,
    unit: '10k calls',
    unitPrice: p.secretsManager.per10kApiCalls,
    per: '10,000 calls',
    assumption: `${releasesPerMonth} releases × ${inputs.secretCallsPerRelease} calls (webhook, Checkout, commit status, tasks starting)`,
  });
  line({
    id: 'kms',
    item: 'KMS customer managed keys',
    quantity: inputs.kmsKeys,
    unit: 'key-months',
    unitPrice: p.kms.perKeyMonth,
    per: 'key-month',
    assumption: `${inputs.kmsKeys} AWS::KMS::Key in the templates`,
  });
  line({
    id: 'alarms',
    item: 'CloudWatch alarms (standard resolution)',
    quantity: inputs.alarms,
    unit: 'alarm-months',
    unitPrice: p.cloudWatch.perAlarmMonth,
    per: 'alarm-month',
    assumption: `${inputs.alarms} AWS::CloudWatch::Alarm in the templates`,
  });
  line({
    id: 'dashboards',
    item: 'CloudWatch dashboards',
    quantity: inputs.dashboards,
    unit: 'dashboard-months',
    unitPrice: p.cloudWatch.perDashboardMonth,
    per: 'dashboard-month',
    assumption: `${inputs.dashboards} AWS::CloudWatch::Dashboard in the templates`,
  });
  line({
    id: 'logs-ingested',
    item: 'CloudWatch Logs ingested',
    quantity: a.logGb,
    unit: 'GB',
    unitPrice: p.cloudWatch.logsPerGbIngested,
    per: 'GB',
    assumption: `--log-gb ${a.logGb}: GB of logs per month`,
  });
  const storedMonths = inputs.logRetentionDays / 30;
  line({
    id: 'logs-stored',
    item: 'CloudWatch Logs stored',
    quantity: a.logGb * storedMonths,
    unit: 'GB-months',
    unitPrice: p.cloudWatch.logsPerGbMonthStored,
    per: 'GB-month',
    assumption: `steady state: ${a.logGb} GB per month kept ${inputs.logRetentionDays} days (logRetentionDays) = ${round(storedMonths, 4)} month(s) of logs`,
  });

  // Delivery.
  const actionMinutesPerRelease = a.buildMinutes + inputs.otherActionsPerRelease;
  line({
    id: 'codepipeline',
    item: 'CodePipeline V2 action minutes',
    quantity: releasesPerMonth * actionMinutesPerRelease,
    unit: 'action-minutes',
    unitPrice: p.codePipeline.v2PerActionMinute,
    per: 'action-minute',
    assumption: `${inputs.pipelines} pipelines × --releases ${a.releases} × (${a.buildMinutes} build minutes + ${inputs.otherActionsPerRelease} min source action); manual approvals are not billed`,
  });
  const actionsPerPipeline = sum(Object.values(inputs.codeBuildActionsPerPipeline));
  for (const [computeType, count] of Object.entries(inputs.codeBuildActionsPerPipeline)) {
    if (count === 0) continue;
    const minutes =
      actionsPerPipeline === 0 ? 0 : releasesPerMonth * a.buildMinutes * (count / actionsPerPipeline);
    line({
      id: `codebuild-${computeTypeLabel(computeType).replace('.', '-')}`,
      item: `CodeBuild ${computeTypeLabel(computeType)} (Linux)`,
      quantity: minutes,
      unit: 'build minutes',
      unitPrice: lookup(p.codeBuild.perMinute, computeType, 'CodeBuild compute-type', inputs.region),
      per: 'build minute',
      assumption: `${inputs.pipelines} pipelines × --releases ${a.releases} × --build-minutes ${a.buildMinutes} × ${count} of ${actionsPerPipeline} CodeBuild stages (minutes split evenly)`,
    });
  }
  line({
    id: 'ecr',
    item: 'ECR image storage',
    quantity: inputs.pipelines * a.imageGb,
    unit: 'GB-months',
    unitPrice: p.ecr.perGbMonth,
    per: 'GB-month',
    assumption: `${inputs.pipelines} repositories × --image-gb ${a.imageGb}`,
  });
  line({
    id: 's3',
    item: 'S3 Standard artifact storage',
    quantity: inputs.pipelines * a.artifactGb,
    unit: 'GB-months',
    unitPrice: p.s3.standardPerGbMonth,
    per: 'GB-month',
    assumption: `${inputs.pipelines} artifact buckets × --artifact-gb ${a.artifactGb}`,
  });

  return {
    region: inputs.region,
    currency: prices.currency,
    pricesDate: prices.date,
    pricesSource: prices.source,
    hoursPerMonth: h,
    assumptions: a,
    lines,
    totalUsd: sum(lines.map((l) => l.monthlyUsd)),
    notIncluded: NOT_INCLUDED,
  };
}

function describeInvocations(fns: readonly FunctionInput[]): string {
  if (fns.length === 0) return '0 invocations';
  return fns.map((f) => `${f.invocationsPerRelease} (${f.name})`).join(' + ');
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}

/** `x` rounded to `digits` decimals (for printing; the arithmetic above never rounds). */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
