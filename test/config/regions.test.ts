import { describe, expect, it } from 'vitest';
import {
  SUPPORTED_REGIONS,
  VPC_LINK_ZONE_IDS,
  VPC_LINK_ZONE_IDS_SOURCE,
  defaultZoneIds,
  partitionOf,
} from '../../src/config/regions';

const tableRegions = Object.keys(VPC_LINK_ZONE_IDS);

describe('partitionOf', () => {
  it.each([
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-gov-east-1', 'aws-us-gov'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso'],
    ['us-east-1', 'aws'],
    ['eu-west-1', 'aws'],
    ['ap-southeast-2', 'aws'],
  ])('given %s, when its partition is read from the name, then it is %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});

describe('SUPPORTED_REGIONS', () => {
  it('given the VPC-link table, when supported regions are listed, then they are exactly its aws-partition regions, in table order', () => {
    expect(SUPPORTED_REGIONS).toEqual(tableRegions.filter((r) => partitionOf(r) === 'aws'));
  });

  it('given GovCloud is in the VPC-link table, when supported regions are listed, then it is left out (Berth is written for the aws partition)', () => {
    expect(tableRegions).toContain('us-gov-west-1');
    expect(SUPPORTED_REGIONS).not.toContain('us-gov-west-1');
    expect(SUPPORTED_REGIONS.every((r) => partitionOf(r) === 'aws')).toBe(true);
  });

  it('given the common regions, when supported regions are listed, then the default us-east-1 and the seed examples are in it', () => {
    expect(SUPPORTED_REGIONS).toEqual(
      expect.arrayContaining(['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1']),
    );
  });
});

describe('VPC_LINK_ZONE_IDS', () => {
  it.each(tableRegions)(
    'given %s, when its zone IDs are listed, then there are at least two, all distinct and zone IDs (<code>-az<n>), not zone names',
    (region) => {
      const ids = VPC_LINK_ZONE_IDS[region];

      expect(ids.length).toBeGreaterThanOrEqual(2);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[a-z]+\d+-az\d+$/);
      // One region, one zone-ID code (use1 for us-east-1, euw1 for eu-west-1 ...)
      expect(new Set(ids.map((id) => id.split('-az')[0])).size).toBe(1);
    },
  );

  it('given every region, when zone-ID codes are compared, then no two regions share one', () => {
    const codes = tableRegions.map((r) => VPC_LINK_ZONE_IDS[r][0].split('-az')[0]);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('given us-east-1, when its zone IDs are listed, then use1-az3 (no HTTP API VPC links there) is not one of them', () => {
    expect(VPC_LINK_ZONE_IDS['us-east-1']).not.toContain('use1-az3');
    expect(VPC_LINK_ZONE_IDS['us-east-1']).toEqual(expect.arrayContaining(['use1-az1', 'use1-az2']));
  });

  it('given the table, when its source is read, then it names the API Gateway guide page and the date it was read', () => {
    expect(VPC_LINK_ZONE_IDS_SOURCE.url).toMatch(
      /^https:\/\/docs\.aws\.amazon\.com\/apigateway\/.*vpc-links/,
    );
    expect(VPC_LINK_ZONE_IDS_SOURCE.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('defaultZoneIds', () => {
  it.each(tableRegions)(
    'given %s, when defaulted, then the zone IDs are the first two the guide lists',
    (region) => {
      const [a, b] = VPC_LINK_ZONE_IDS[region];
      expect(defaultZoneIds(region)).toEqual([a, b]);
    },
  );

  it('given the default region us-east-1, when defaulted, then the zones are use1-az1 and use1-az2 (the seed)', () => {
    expect(defaultZoneIds('us-east-1')).toEqual(['use1-az1', 'use1-az2']);
  });

  it.each(['cn-north-1', 'us-east-3', 'US-EAST-1', ''])(
    'given %j, which is not in the table, when defaulted, then there is no default',
    (region) => {
      expect(defaultZoneIds(region)).toBeUndefined();
    },
  );
});
