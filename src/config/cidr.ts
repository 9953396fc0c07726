/** Minimal IPv4 CIDR arithmetic for config validation (no dependency needed for three functions). */

export interface Cidr {
  readonly base: number;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n`; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (base % 2 ** (32 - prefix) !== 0) return undefined;
  return { base, prefix };
}

function range(text: string): [number, number] {
  const c = parseCidr(text);
  if (!c) throw new Error(`not a CIDR: ${text}`);
  return [c.base, c.base + 2 ** (32 - c.prefix) - 1];
}

/** True when `inner` lies entirely within `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const [os, oe] = range(outer);
  const [is, ie] = range(inner);
  return is >= os && ie <= oe;
}

/** True when the two blocks share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [as, ae] = range(a);
  const [bs, be] = range(b);
  return as <= be && bs <= ae;
}
