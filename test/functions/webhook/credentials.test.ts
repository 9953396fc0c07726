import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  SecretInvalidError,
  SecretUnavailableError,
  WebhookCredentials,
} from '../../../src/functions/webhook/credentials';

/**
 * The webhook's credentials through Powertools Parameters: Secrets Manager mocked, the wall clock (Powertools'
 * cache) faked with vi.setSystemTime, and the refresh throttle on the same clock.
 */

const ID = 'berth/cash-collection/webhook';
const signal = new AbortController().signal;
const value = (password: string, extra: Record<string, string> = {}) =>
  JSON.stringify({ username: 'azure', password, ...extra });

const client = new SecretsManagerClient({ region: 'us-east-1' });
const sm = mockClient(client);

/** A fake Secrets Manager whose current value and failures tests set, counting reads. */
function setup() {
  const state = { value: value('one'), fails: false, reads: 0 };
  sm.reset();
  sm.on(GetSecretValueCommand).callsFake(() => {
    state.reads++;
    if (state.fails) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    return { SecretString: state.value };
  });
  const credentials = new WebhookCredentials(new SecretsProvider({ awsSdkV3Client: client }));
  const verify = (password: string) => credentials.verify(ID, { username: 'azure', password }, signal);
  const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);
  return { state, verify, advance };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-06-02T09:00:00Z'));
});
afterEach(() => vi.useRealTimers());

describe('WebhookCredentials', () => {
  it('given a cached value, when requests come within 60 s, then Secrets Manager is read once, and again after', async () => {
    const { state, verify, advance } = setup();

    expect((await verify('one')).ok).toBe(true);
    advance(59_000);
    expect((await verify('one')).ok).toBe(true);
    expect(state.reads).toBe(1);
    advance(1_500);
    expect((await verify('one')).ok).toBe(true);
    expect(state.reads).toBe(2);
  });

  it('given the password was rotated in Secrets Manager, when the new one arrives, then it is accepted after one forced read', async () => {
    const { state, verify, advance } = setup();
    await verify('one');
    state.value = value('two');
    advance(1_000);

    expect((await verify('two')).ok).toBe(true);
    expect(state.reads).toBe(2);
    expect((await verify('one')).ok).toBe(false);
  });

  it('given a flood of wrong credentials for one minute, when verified, then Secrets Manager is read at most once per 5 s', async () => {
    const { state, verify, advance } = setup();

    for (let t = 0; t < 60_000; t += 10) {
      expect((await verify('guess')).ok).toBe(false);
      advance(10);
    }

    // The first read, one forced read every 5 s (12), and the 60 s expiry at most once.
    expect(state.reads).toBeLessThanOrEqual(14);
    expect(state.reads).toBeGreaterThanOrEqual(12);
  });

  it('given wrong credentials twice within 5 s, when verified, then only the first mismatch reads again', async () => {
    const { state, verify, advance } = setup();
    await verify('one');

    await verify('wrong');
    advance(4_999);
    await verify('wrong');

    expect(state.reads).toBe(2);
  });

  it('given the repository id in the secret, when verified, then the stored value carries it lower-case', async () => {
    const { state, verify } = setup();
    state.value = value('one', { repositoryId: '278D5CD2-584D-4B63-824A-2BA458937249' });

    expect(await verify('one')).toEqual({
      ok: true,
      stored: { username: 'azure', password: 'one', repositoryId: '278d5cd2-584d-4b63-824a-2ba458937249' },
    });
  });

  it('given Secrets Manager fails, when verified, then it is unavailable with the SDK error as the cause, and not cached', async () => {
    const { state, verify } = setup();
    state.fails = true;

    const error = await verify('one').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect((error as SecretUnavailableError).cause).toMatchObject({ name: 'ThrottlingException' });
    state.fails = false;
    expect((await verify('one')).ok).toBe(true);
  });

  it('given a value that is not {"username","password"} JSON, when verified, then it is invalid and not quoted', async () => {
    const { state, verify } = setup();
    state.value = 'hunter2-plaintext';

    const error = await verify('one').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(String((error as Error).message)).not.toContain('hunter2');
  });

  it('given the request deadline passes while Secrets Manager is silent, when verified, then it rejects at once as unavailable', async () => {
    sm.reset();
    sm.on(GetSecretValueCommand).callsFake(() => new Promise(() => undefined));
    const credentials = new WebhookCredentials(new SecretsProvider({ awsSdkV3Client: client }));
    const controller = new AbortController();

    const pending = credentials.verify(ID, { username: 'azure', password: 'one' }, controller.signal);
    controller.abort(Object.assign(new Error('deadline'), { name: 'TimeoutError' }));

    await expect(pending).rejects.toBeInstanceOf(SecretUnavailableError);
  });
});
