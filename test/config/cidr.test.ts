import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrContains, cidrsOverlap, parseCidr } from '../../src/config/cidr';

/** `a.b.c.d/prefix` for a 32-bit base address. */
function cidrText(base: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join('.')}/${prefix}`;
}

/** Any valid CIDR: a random address with its host bits cleared, and a prefix from 0 to 32. */
const anyCidr = fc
  .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }))
  .map(([address, prefix]) => {
    const size = 2 ** (32 - prefix);
    return cidrText(Math.floor(address / size) * size, prefix);
  });

const octet = fc.integer({ min: 0, max: 255 });

describe('parseCidr', () => {
  it('parses a CIDR into its base address and prefix length', () => {
    expect(parseCidr('10.0.0.0/16')).toEqual({ base: 10 * 2 ** 24, prefix: 16 });
    expect(parseCidr('10.0.1.0/24')).toEqual({ base: 10 * 2 ** 24 + 256, prefix: 24 });
  });

  it('parses the extremes: the whole space and a single address', () => {
    expect(parseCidr('0.0.0.0/0')).toEqual({ base: 0, prefix: 0 });
    expect(parseCidr('255.255.255.255/32')).toEqual({ base: 2 ** 32 - 1, prefix: 32 });
  });

  it.each([
    ['host bits set', '10.0.1.5/24'],
    ['host bits set in a /16', '10.0.1.0/16'],
    ['an octet above 255', '10.0.256.0/24'],
    ['a prefix above 32', '10.0.0.0/33'],
    ['no prefix', '10.0.0.0'],
    ['three octets', '10.0.0/16'],
    ['five octets', '10.0.0.0.0/16'],
    ['a four-digit octet', '0010.0.0.0/16'],
    ['surrounding spaces', ' 10.0.0.0/16 '],
    ['an IPv6 block', '2001:db8::/32'],
    ['an empty string', ''],
    ['a negative prefix', '10.0.0.0/-1'],
  ])('refuses %s (%j)', (_, text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it('round-trips every valid CIDR', () => {
    fc.assert(
      fc.property(anyCidr, (text) => {
        const c = parseCidr(text);
        expect(c).toBeDefined();
        expect(cidrText(c!.base, c!.prefix)).toBe(text);
      }),
    );
  });

  it('refuses any address with host bits set for its prefix', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 31 }),
        (address, prefix) => {
          fc.pre(address % 2 ** (32 - prefix) !== 0);
          expect(parseCidr(cidrText(address, prefix))).toBeUndefined();
        },
      ),
    );
  });
});

describe('cidrContains', () => {
  it('holds for a subnet inside the VPC and for a block and itself', () => {
    expect(cidrContains('10.0.0.0/16', '10.0.1.0/24')).toBe(true);
    expect(cidrContains('10.0.0.0/16', '10.0.255.0/24')).toBe(true);
    expect(cidrContains('10.0.0.0/16', '10.0.0.0/16')).toBe(true);
  });

  it('fails for a subnet outside the VPC or larger than it', () => {
    expect(cidrContains('10.0.0.0/16', '10.1.1.0/24')).toBe(false);
    expect(cidrContains('10.0.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrContains('10.0.1.0/24', '10.0.0.0/16')).toBe(false);
  });

  it('throws on a malformed CIDR rather than answering', () => {
    expect(() => cidrContains('10.0.0.0/16', '10.0.1.5/24')).toThrow(/not a CIDR: 10\.0\.1\.5\/24/);
    expect(() => cidrContains('nope', '10.0.1.0/24')).toThrow(/not a CIDR: nope/);
  });

  it('always holds for a /24 built from the same base as a /16', () => {
    fc.assert(
      fc.property(octet, octet, octet, (a, b, c) => {
        expect(cidrContains(`${a}.${b}.0.0/16`, `${a}.${b}.${c}.0/24`)).toBe(true);
      }),
    );
  });

  it('never holds for a /24 built from a different /16', () => {
    fc.assert(
      fc.property(octet, octet, octet, octet, (a, b, other, c) => {
        fc.pre(other !== b);
        expect(cidrContains(`${a}.${b}.0.0/16`, `${a}.${other}.${c}.0/24`)).toBe(false);
      }),
    );
  });

  it('contains everything in 0.0.0.0/0, and every block contains itself', () => {
    fc.assert(
      fc.property(anyCidr, (c) => {
        expect(cidrContains('0.0.0.0/0', c)).toBe(true);
        expect(cidrContains(c, c)).toBe(true);
      }),
    );
  });
});

describe('cidrsOverlap', () => {
  it('holds for nested and identical blocks', () => {
    expect(cidrsOverlap('10.0.1.0/24', '10.0.1.128/25')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/16', '10.0.10.0/24')).toBe(true);
    expect(cidrsOverlap('10.0.1.0/24', '10.0.1.0/24')).toBe(true);
  });

  it('fails for adjacent and distant blocks', () => {
    expect(cidrsOverlap('10.0.1.0/24', '10.0.2.0/24')).toBe(false);
    expect(cidrsOverlap('10.0.1.0/25', '10.0.1.128/25')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/16', '192.168.0.0/16')).toBe(false);
  });

  it('is symmetric', () => {
    fc.assert(
      fc.property(anyCidr, anyCidr, (a, b) => {
        expect(cidrsOverlap(a, b)).toBe(cidrsOverlap(b, a));
      }),
    );
  });

  it('holds whenever one block contains the other', () => {
    fc.assert(
      fc.property(anyCidr, anyCidr, (a, b) => {
        fc.pre(cidrContains(a, b));
        expect(cidrsOverlap(a, b)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('for two blocks, means one contains the other (CIDR blocks nest or are disjoint)', () => {
    fc.assert(
      fc.property(anyCidr, anyCidr, (a, b) => {
        expect(cidrsOverlap(a, b)).toBe(cidrContains(a, b) || cidrContains(b, a));
      }),
    );
  });
});
