/**
 * Where Berth can run: the regions and Availability Zone IDs in which API Gateway supports VPC links for HTTP
 * APIs. Berth's only way from the HTTP API to the internal load balancer is such a VPC link, so a region or a
 * zone ID outside this table is refused by the config check.
 *
 * Source: Amazon API Gateway Developer Guide, "Set up VPC links for HTTP APIs in API Gateway", section
 * "Availability by Region" (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vpc-links.html
 * and apigateway-vpc-links-v2.html, same table). Read 2026-12-01. Re-check the page before adding a region.
 *
 * Zone IDs (`use1-az1`), not zone names (`us-east-1a`): which zone a name maps to differs per account, the ID is
 * the same physical zone everywhere.
 */
export const VPC_LINK_ZONE_IDS_SOURCE = {
  url: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vpc-links.html',
  read: '2026-12-01',
} as const;

/** Region -> zone IDs that support HTTP API VPC links, as the guide lists them. */
export const VPC_LINK_ZONE_IDS: Readonly<Record<string, readonly string[]>> = {
  'us-east-2': ['use2-az1', 'use2-az2', 'use2-az3'],
  'us-east-1': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az5', 'use1-az6'],
  'us-west-1': ['usw1-az1', 'usw1-az3'],
  'us-west-2': ['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4'],
  'ap-east-1': ['ape1-az2', 'ape1-az3'],
  'ap-south-1': ['aps1-az1', 'aps1-az2', 'aps1-az3'],
  'ap-northeast-2': ['apne2-az1', 'apne2-az2', 'apne2-az3'],
  'ap-southeast-1': ['apse1-az1', 'apse1-az2', 'apse1-az3'],
  'ap-southeast-2': ['apse2-az1', 'apse2-az2', 'apse2-az3'],
  'ap-northeast-1': ['apne1-az1', 'apne1-az2', 'apne1-az4'],
  'ca-central-1': ['cac1-az1', 'cac1-az2'],
  'eu-central-1': ['euc1-az1', 'euc1-az2', 'euc1-az3'],
  'eu-west-1': ['euw1-az1', 'euw1-az2', 'euw1-az3'],
  'eu-west-2': ['euw2-az1', 'euw2-az2', 'euw2-az3'],
  'eu-west-3': ['euw3-az1', 'euw3-az3'],
  'eu-south-2': ['eus2-az1', 'eus2-az2', 'eus2-az3'],
  'eu-north-1': ['eun1-az1', 'eun1-az2', 'eun1-az3'],
  'me-south-1': ['mes1-az1', 'mes1-az2', 'mes1-az3'],
  'sa-east-1': ['sae1-az1', 'sae1-az2', 'sae1-az3'],
  'us-gov-west-1': ['usgw1-az1', 'usgw1-az2', 'usgw1-az3'],
};

/** The partition a region belongs to, from its name. */
export function partitionOf(region: string): 'aws' | 'aws-us-gov' | 'aws-cn' | 'aws-iso' {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-iso')) return 'aws-iso';
  return 'aws';
}

/**
 * Regions Berth accepts: those of the table in the standard `aws` partition. Berth's IAM policies,
 * acknowledgements and console links are written for that partition; GovCloud and China are refused by the
 * config check rather than half supported.
 */
export const SUPPORTED_REGIONS: readonly string[] = Object.keys(VPC_LINK_ZONE_IDS).filter(
  (r) => partitionOf(r) === 'aws',
);

/** The default zone IDs of a region: the first two the guide lists. */
export function defaultZoneIds(region: string): [string, string] | undefined {
  const ids = VPC_LINK_ZONE_IDS[region];
  return ids && ids.length >= 2 ? [ids[0], ids[1]] : undefined;
}
