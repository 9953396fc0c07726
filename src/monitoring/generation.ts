import { createHash } from 'node:crypto';
import type { ParsedConfig } from '../config/schema';

/*
 * The platform "generation": a short hash of exactly the config keys whose change replaces the internal ALB or a
 * NAT gateway.
 *
 * Why: alarms in one stack that watch a resource of another read its identity through `Fn::GetStackOutput`
 * (project alarms: the ALB's full name; the platform's NAT alarms: the network stack's NAT gateway ids). CloudFormation
 * resolves such a reference only when the consuming stack is updated, and `cdk deploy` skips a stack whose template
 * did not change. So after a change that replaces the ALB or a NAT gateway, those alarms would keep watching the old
 * resource, whose metrics stop; with missing data treated as not breaching they would go quiet for good. Every such
 * alarm carries the generation in its description (and the dashboard in its header): a change of these keys changes
 * their templates, `cdk deploy --all` updates them right after the stack they read from, and CloudFormation resolves
 * their dimensions again.
 *
 * The keys (what they replace; over-inclusive on purpose: an unneeded alarm update is harmless, a missed one is not):
 * - network.cidr: the VPC itself, and with it every subnet, NAT gateway and security group; the ALB cannot move to
 *   another VPC, so whatever makes that deploy possible gives it a new identity too;
 * - network.availabilityZoneIds, network.publicSubnets: the public subnets, and so the NAT gateways in them (a NAT
 *   gateway is replaced with its subnet);
 * - network.privateSubnets: the private subnets the internal ALB lives in; new subnets move the ALB, and whether
 *   CloudFormation can do that in place depends on the change, so the alarms follow either way.
 * `prefix` and `region` are not keys: a change of either makes new stacks altogether, whose alarms are created with
 * the new values. Nothing else in berth.yaml replaces the ALB (it takes no name, scheme or type from the config) or
 * a NAT gateway.
 */

/**
 * Bump when a code change (not a config change) replaces the ALB or a NAT gateway, e.g. a changed construct id or a
 * property that requires replacement, so the dependent alarms follow in the same deploy.
 */
export const PLATFORM_GENERATION_REVISION = 1;

/** The config keys the generation is made of, as paths in berth.yaml (documented in docs/operations.md). */
export const PLATFORM_GENERATION_KEYS = [
  'network.cidr',
  'network.availabilityZoneIds',
  'network.publicSubnets',
  'network.privateSubnets',
] as const;

/** 8 hex characters; equal for two configs exactly when they agree on {@link PLATFORM_GENERATION_KEYS}. */
export function platformGeneration(config: Pick<ParsedConfig, 'network'>): string {
  const n = config.network;
  const canonical = JSON.stringify({
    revision: PLATFORM_GENERATION_REVISION,
    cidr: n.cidr,
    availabilityZoneIds: [...n.availabilityZoneIds],
    publicSubnets: [...n.publicSubnets],
    privateSubnets: [...n.privateSubnets],
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 8);
}
