import { describe, expect, it } from 'vitest';
import {
  SecretCache,
  SecretInvalidError,
  SecretUnavailableError,
} from '../../../src/functions/webhook/secret-cache';

const ID = 'berth/cash-collection/webhook';
const signal = new AbortController().signal;
const value = (password: string) => JSON.stringify({ username: 'azure', password });

/** A fake Secrets Manager whose current value and failures tests set, counting reads. */
function setup(options: { ttlMs?: number; refreshAfterMs?: number; failureBackoffMs?: number } = {}) {
  const sm = { value: value('one'), fails: false, reads: 0 };
  const clock = { now: 0 };
  const cache = new SecretCache(
    async () => {
      sm.reads++;
      if (sm.fails) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return sm.value;
    },
    { ...options, now: () => clock.now },
  );
  const verify = (password: string) => cache.verify(ID, { username: 'azure', password }, signal);
  return { sm, clock, cache, verify };
}

describe('SecretCache', () => {
  it('reads the secret once and reuses it for its TTL, then reads it again', async () => {
    const { sm, clock, verify } = setup();
    expect(await verify('one')).toBe(true);
    clock.now = 59_999;
    expect(await verify('one')).toBe(true);
    expect(sm.reads).toBe(1);
    clock.now = 60_000;
    expect(await verify('one')).toBe(true);
    expect(sm.reads).toBe(2);
  });

  it('refuses wrong credentials against a fresh value without reading again', async () => {
    const { sm, clock, verify } = setup();
    await verify('one');
    clock.now = 4_999;
    expect(await verify('wrong')).toBe(false);
    expect(sm.reads).toBe(1);
  });

  it('accepts a rotated password at once by reading again when the cached value is a few seconds old', async () => {
    // Given a cached value 5 s old, and the password rotated in Secrets Manager
    const { sm, clock, verify } = setup();
    await verify('one');
    sm.value = value('two');
    clock.now = 5_000;
    // When the new password arrives, then it is accepted after one more read
    expect(await verify('two')).toBe(true);
    expect(sm.reads).toBe(2);
    // And the old password is refused from then on
    expect(await verify('one')).toBe(false);
  });

  it('lets a flood of wrong credentials read Secrets Manager at most once per 5 s', async () => {
    // Given requests with wrong credentials every 10 ms for one minute
    const { sm, clock, verify } = setup();
    for (clock.now = 0; clock.now < 60_000; clock.now += 10) expect(await verify('guess')).toBe(false);
    // Then reads happen about every 5 s, not per request: 12 refreshes + the first read at most
    expect(sm.reads).toBeLessThanOrEqual(13);
    expect(sm.reads).toBeGreaterThanOrEqual(2);
  });

  it('reports a failed read as unavailable, answers from memory for a second, then reads again', async () => {
    const { sm, clock, verify } = setup();
    sm.fails = true;
    await expect(verify('one')).rejects.toBeInstanceOf(SecretUnavailableError);
    clock.now = 999;
    await expect(verify('one')).rejects.toBeInstanceOf(SecretUnavailableError);
    expect(sm.reads).toBe(1);
    sm.fails = false;
    clock.now = 1_000;
    expect(await verify('one')).toBe(true);
    expect(sm.reads).toBe(2);
  });

  it('keeps the Secrets Manager error as the cause', async () => {
    const { sm, verify } = setup();
    sm.fails = true;
    const error = await verify('one').catch((e: unknown) => e);
    expect((error as SecretUnavailableError).cause).toMatchObject({ name: 'ThrottlingException' });
  });

  it('reports a value that is not {"username","password"} JSON as invalid, without quoting it', async () => {
    const { sm, verify } = setup();
    sm.value = 'hunter2-plaintext';
    const error = await verify('one').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(String((error as Error).message)).not.toContain('hunter2');
  });

  it('shares one read between concurrent requests', async () => {
    const { sm, verify } = setup();
    const results = await Promise.all([verify('one'), verify('one'), verify('one')]);
    expect(results).toEqual([true, true, true]);
    expect(sm.reads).toBe(1);
  });

  it('keeps secrets apart', async () => {
    const { sm, cache } = setup();
    await cache.verify('a', { username: 'azure', password: 'one' }, signal);
    await cache.verify('b', { username: 'azure', password: 'one' }, signal);
    expect(sm.reads).toBe(2);
  });
});
