import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBody,
  MAX_BODY_BYTES,
  parseWebhookBody,
  serviceFromPath,
} from '../../../src/functions/webhook/parse';
import { fixture, PUSH_COMMIT, PUSH_ID, testDelivery } from './helpers';

describe('serviceFromPath', () => {
  it('prefers the {service} path parameter', () => {
    expect(serviceFromPath({ service: 'cash-collection' }, '/webhook/other')).toBe('cash-collection');
  });

  it.each([
    ['/webhook/poultry-sale', 'poultry-sale'],
    ['/webhook/poultry-sale/', 'poultry-sale'],
    ['/prod/webhook/poultry-sale', 'poultry-sale'],
    ['/webhook/with%20space', 'with space'],
  ])('falls back to the raw path %s', (rawPath, expected) => {
    expect(serviceFromPath(undefined, rawPath)).toBe(expected);
    expect(serviceFromPath({ service: '' }, rawPath)).toBe(expected);
  });

  it.each(['/', '/webhook', '/webhook/', '/other/x', '/webhook/a/b', '/webhook/%E0%A4%A'])(
    'finds no service in %s',
    (rawPath) => {
      expect(serviceFromPath(undefined, rawPath)).toBeUndefined();
    },
  );
});

describe('decodeBody', () => {
  it('passes plain text through and decodes base64 when flagged', () => {
    expect(decodeBody('{"a":1}', false)).toEqual({ ok: true, text: '{"a":1}' });
    expect(decodeBody(Buffer.from('{"é":1}').toString('base64'), true)).toEqual({
      ok: true,
      text: '{"é":1}',
    });
  });

  it('calls a missing or empty body missing', () => {
    expect(decodeBody(undefined, false)).toMatchObject({
      ok: false,
      tooLarge: false,
      reason: 'body is missing',
    });
    expect(decodeBody('', true)).toMatchObject({ ok: false, tooLarge: false });
  });

  it('refuses base64 that does not decode to UTF-8', () => {
    expect(decodeBody(Buffer.from([0xff, 0xfe, 0x80]).toString('base64'), true)).toMatchObject({
      ok: false,
      tooLarge: false,
      reason: expect.stringContaining('UTF-8'),
    });
  });

  it('limits decoded bytes to 2 MB, plain or base64', () => {
    const exact = 'x'.repeat(MAX_BODY_BYTES);
    expect(decodeBody(exact, false).ok).toBe(true);
    expect(decodeBody(Buffer.from(exact).toString('base64'), true).ok).toBe(true);
    expect(decodeBody(exact + 'x', false)).toMatchObject({
      ok: false,
      tooLarge: true,
      bytes: MAX_BODY_BYTES + 1,
    });
    expect(decodeBody(Buffer.from(exact + 'x').toString('base64'), true)).toMatchObject({ tooLarge: true });
  });
});

describe('parseWebhookBody', () => {
  it('given the documented push, when parsed, then it is reduced to what decisions need, pushId included', () => {
    expect(parseWebhookBody(JSON.stringify(fixture('git.push')))).toEqual({
      ok: true,
      event: {
        kind: 'push',
        id: '03c164c2-8912-4d5e-8009-3707d5f83734',
        eventType: 'git.push',
        repository: {
          id: '278d5cd2-584d-4b63-824a-2ba458937249',
          name: 'Fabrikam-Fiber-Git',
          projectName: 'Fabrikam-Fiber-Git',
        },
        refUpdates: [{ name: 'refs/heads/main', newObjectId: PUSH_COMMIT }],
        pushId: PUSH_ID,
      },
    });
  });

  it.each([
    ['absent', undefined, undefined],
    ['a numeric string', '27', 27],
    ['negative', -1, undefined],
    ['fractional', 1.5, undefined],
    ['a word', 'x', undefined],
  ])('given a pushId that is %s, when parsed, then pushId is %s', (_what, value, expected) => {
    const body = fixture('git.push');
    if (value === undefined) delete body.resource.pushId;
    else body.resource.pushId = value;
    const parsed = parseWebhookBody(JSON.stringify(body));
    expect(parsed.ok && parsed.event.kind === 'push' && parsed.event.pushId).toBe(expected);
  });

  it('given the documented merged pull request, when parsed, then only its kind matters (it releases nothing)', () => {
    expect(parseWebhookBody(JSON.stringify(fixture('git.pullrequest.merged')))).toEqual({
      ok: true,
      event: {
        kind: 'merged',
        id: '6872ee8c-b333-4eff-bfb9-0d5274943566',
        eventType: 'git.pullrequest.merged',
      },
    });
  });

  it('given the "Test" delivery (all-zero subscriptionId), when parsed, then it is a test whatever the rest holds', () => {
    expect(parseWebhookBody(JSON.stringify(testDelivery()))).toEqual({
      ok: true,
      event: { kind: 'test', id: '03c164c2-8912-4d5e-8009-3707d5f83734', eventType: 'git.push' },
    });
    expect(
      parseWebhookBody(JSON.stringify({ subscriptionId: '00000000-0000-0000-0000-000000000000' })),
    ).toMatchObject({ ok: true, event: { kind: 'test' } });
  });

  it('given a real delivery with its subscription id, when parsed, then it is a push', () => {
    const body = { ...fixture('git.push'), subscriptionId: '8ec08b2d-9c6c-4ad2-a1b2-9f4c3e2d1a00' };
    expect(parseWebhookBody(JSON.stringify(body))).toMatchObject({ ok: true, event: { kind: 'push' } });
  });

  it('lower-cases commit ids and tolerates a byte order mark and a missing event id', () => {
    const body = fixture('git.push');
    delete body.id;
    body.resource.refUpdates[0].newObjectId = PUSH_COMMIT.toUpperCase();
    const parsed = parseWebhookBody(`\ufeff${JSON.stringify(body)}`);
    expect(parsed.ok && parsed.event.kind === 'push' && parsed.event.refUpdates[0].newObjectId).toBe(
      PUSH_COMMIT,
    );
    expect(parsed.ok && parsed.event.id).toBeUndefined();
  });

  it('needs only the event type for events it does not handle', () => {
    expect(parseWebhookBody('{"eventType":"workitem.created"}')).toEqual({
      ok: true,
      event: { kind: 'other', id: undefined, eventType: 'workitem.created' },
    });
  });

  it('names every missing field of a push at once', () => {
    const body = fixture('git.push');
    delete body.resource.repository.name;
    delete body.resource.repository.project;
    body.resource.refUpdates = [{ name: 'refs/heads/main' }];
    const parsed = parseWebhookBody(JSON.stringify(body));
    expect(parsed).toMatchObject({ ok: false, id: body.id, eventType: 'git.push' });
    expect(!parsed.ok && parsed.problems).toEqual([
      'resource.repository.name (a non-empty string)',
      'resource.repository.project (an object)',
      'resource.refUpdates[0].newObjectId (a 40-hex commit id)',
    ]);
  });

  it('names at most ten problems, so a huge broken body cannot make a huge answer', () => {
    const body = fixture('git.push');
    body.resource.refUpdates = Array.from({ length: 5000 }, () => ({}));
    const parsed = parseWebhookBody(JSON.stringify(body));
    expect(!parsed.ok && parsed.problems).toHaveLength(11);
    expect(!parsed.ok && parsed.problems[10]).toMatch(/^and \d+ more$/);
  });

  it('never throws, whatever text or JSON it is given', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ eventType: 'git.push', resource: v })),
        ),
        (text) => {
          const parsed = parseWebhookBody(text);
          expect(typeof parsed.ok).toBe('boolean');
        },
      ),
      { numRuns: 500 },
    );
  });
});
