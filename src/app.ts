import { Annotations, App, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PLATFORM_TAG } from './contracts';
import { platformNames, projectNames } from './config/names';
import type { ParsedConfig } from './config/schema';
import { alertsWarning } from './shared/alert-channels';
import { NetworkStack } from './stacks/network-stack';
import { PlatformStack } from './stacks/platform-stack';
import { ProjectStack } from './stacks/project-stack';
import { UNTAGGABLE } from './stacks/untaggable';

export interface BerthApp {
  readonly app: App;
  readonly network: NetworkStack;
  readonly platform: PlatformStack;
  /** One stack per project, keyed by project name. */
  readonly projects: ReadonlyMap<string, ProjectStack>;
}

export interface CreateAppOptions {
  /** Props for the App (context, outdir). @default - the CLI's */
  readonly appProps?: AppProps;
  /** Run cdk-nag's AwsSolutions checks on synth. @default true */
  readonly nag?: boolean;
  /** Attach Berth's config warnings (printed by synth); off for callers that print them their own way. @default true */
  readonly warnings?: boolean;
}

/**
 * Builds the whole Berth app from a validated config. Stacks carry only a region, never an account, so nothing
 * needs credentials or a context lookup to synthesize.
 */
export function createApp(config: ParsedConfig, options: CreateAppOptions = {}): BerthApp {
  const app = new App(options.appProps);
  const names = platformNames(config);
  const env = { region: config.region };

  const network = new NetworkStack(app, names.networkStack, {
    env,
    config,
    description: 'Berth network: VPC, subnets, NAT gateways, flow logs',
  });
  const platform = new PlatformStack(app, names.platformStack, {
    env,
    config,
    vpc: network.network.vpc,
    description: 'Berth platform: ECS cluster, internal ALB, HTTP API, webhook, monitoring',
  });

  const noDestination = options.warnings === false ? undefined : alertsWarning(config);
  if (noDestination) Annotations.of(platform).addWarningV2('berth:no-alert-destination', noDestination);

  const projects = new Map<string, ProjectStack>();
  for (const project of config.projects) {
    const stack = new ProjectStack(app, projectNames(config, project).stack, {
      env,
      config,
      project,
      shared: platform.sharedResources(network.network.vpc),
      description: `Berth project ${project.name}: ${project.path ? `${project.path}/*` : 'worker (no route)'} from Azure DevOps ${project.repository.project}/${project.repository.name}`,
    });
    projects.set(project.name, stack);
  }

  Tags.of(app).add(PLATFORM_TAG, config.prefix, { excludeResourceTypes: UNTAGGABLE });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, network, platform, projects };
}
