import { readFileSync } from 'node:fs';
import { z } from 'zod';
import bundledPrices from './prices.json';

/**
 * The price file `berth plan` estimates with: one JSON document holding, per region, the on-demand list prices
 * of everything a Berth platform runs, with the date they were read and where from. `prices.json` next to
 * this module is the default; `berth plan --prices <file>` reads another of the same shape (a newer date,
 * another region).
 */

const price = z.number({ error: 'a price in the file currency, 0 or more' }).nonnegative();
const priceTable = z.record(z.string(), price);

const regionPricesSchema = z.object({
  natGateway: z.object({ perHour: price, perGbProcessed: price }),
  publicIpv4: z.object({ perHour: price }),
  applicationLoadBalancer: z.object({ perHour: price, perLcuHour: price }),
  /** Linux on-demand price per instance-hour, by instance type. */
  ec2: z.object({ perHour: priceTable }),
  ebs: z.object({ gp3PerGbMonth: price }),
  httpApi: z.object({ perMillionRequests: price }),
  lambda: z.object({
    perMillionRequests: price,
    /** By architecture as CloudFormation names it (`arm64`, `x86_64`). */
    perGbSecond: priceTable,
  }),
  secretsManager: z.object({ perSecretMonth: price, per10kApiCalls: price }),
  kms: z.object({ perKeyMonth: price }),
  cloudWatch: z.object({
    perAlarmMonth: price,
    perDashboardMonth: price,
    logsPerGbIngested: price,
    logsPerGbMonthStored: price,
  }),
  codePipeline: z.object({ v2PerActionMinute: price }),
  /**
   * Per build minute, by CloudFormation compute type (`BUILD_GENERAL1_SMALL`, ...): `perMinute` for Linux x86
   * (`LINUX_CONTAINER`), `armPerMinute` for Arm (`ARM_CONTAINER`).
   */
  codeBuild: z.object({ perMinute: priceTable, armPerMinute: priceTable.optional() }),
  ecr: z.object({ perGbMonth: price }),
  s3: z.object({ standardPerGbMonth: price }),
});

export const priceFileSchema = z.object({
  date: z.string().min(1),
  source: z.string().min(1),
  pages: z.record(z.string(), z.string()).optional(),
  currency: z.string().min(1),
  hoursPerMonth: z.number().positive(),
  regions: z.record(z.string(), regionPricesSchema),
});

export type PriceFile = z.output<typeof priceFileSchema>;
export type RegionPrices = z.output<typeof regionPricesSchema>;

/** A price the file does not hold (a region, an instance type, ...): the message names what it does hold. */
export class PriceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PriceError';
  }
}

/** The bundled price file, validated. */
export function defaultPrices(): PriceFile {
  return priceFileSchema.parse(bundledPrices);
}

/** Reads and validates a price file; a bad file is a PriceError naming the first problems. */
export function readPriceFile(file: string): PriceFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PriceError(`Cannot read the price file ${file} (${(e as Error).message}).`);
  }
  const result = priceFileSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new PriceError(`The price file ${file} is not valid (${problems}).`);
  }
  return result.data;
}

/** The prices of one region, or undefined when the file has none for it. */
export function regionPrices(prices: PriceFile, region: string): RegionPrices | undefined {
  return Object.hasOwn(prices.regions, region) ? prices.regions[region] : undefined;
}

/** One entry of a price table, or undefined. */
export function priceOf(
  table: Readonly<Record<string, number>> | undefined,
  key: string,
): number | undefined {
  return table && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The prices of one region; an absent region is a PriceError listing the known ones. */
export function pricesFor(prices: PriceFile, region: string): RegionPrices {
  const found = prices.regions[region];
  if (!found) {
    throw new PriceError(
      `The price file has no prices for the region ${region}; it knows: ${Object.keys(prices.regions).join(', ')}.`,
    );
  }
  return found;
}

/** One entry of a price table; an absent key is a PriceError listing the known ones. */
export function lookup(table: Record<string, number>, key: string, what: string, region: string): number {
  const found = table[key];
  if (found === undefined) {
    throw new PriceError(
      `The price file has no ${what} price for ${key} in ${region}; it knows: ${Object.keys(table).join(', ')}.`,
    );
  }
  return found;
}
