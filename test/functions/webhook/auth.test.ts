import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  credentialsMatch,
  headerValue,
  parseBasicAuth,
  parseSecretValue,
} from '../../../src/functions/webhook/auth';
import { basicAuth } from './helpers';

describe('parseBasicAuth', () => {
  it('splits user and password at the first colon, so passwords may hold colons', () => {
    expect(parseBasicAuth(basicAuth('azure', 'p:a:ss'))).toEqual({ username: 'azure', password: 'p:a:ss' });
  });

  it('accepts an empty user name (Azure DevOps allows one) and UTF-8 passwords', () => {
    expect(parseBasicAuth(basicAuth('', 'pässwörd✓'))).toEqual({ username: '', password: 'pässwörd✓' });
  });

  it.each([
    ['no header', undefined],
    ['another scheme', 'Bearer abc'],
    ['no token', 'Basic'],
    ['no colon', `Basic ${Buffer.from('userpass').toString('base64')}`],
    ['characters outside base64', 'Basic a$b'],
    ['two credentials joined', `${basicAuth('a', 'b')}, ${basicAuth('c', 'd')}`],
  ])('returns nothing for %s', (_what, header) => {
    expect(parseBasicAuth(header)).toBeUndefined();
  });

  it('round-trips any user name without a colon and any password', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((u) => !u.includes(':')),
        fc.string({ unit: 'grapheme' }),
        (username, password) => {
          expect(parseBasicAuth(basicAuth(username, password))).toEqual({ username, password });
        },
      ),
    );
  });
});

describe('headerValue', () => {
  it('finds a header whatever the case of its name', () => {
    expect(headerValue({ Authorization: 'x' }, 'authorization')).toBe('x');
    expect(headerValue({ authorization: 'y' }, 'authorization')).toBe('y');
    expect(headerValue(undefined, 'authorization')).toBeUndefined();
    expect(headerValue({ other: 'z' }, 'authorization')).toBeUndefined();
  });
});

describe('credentialsMatch', () => {
  const expected = { username: 'azure-devops', password: 's3cret' };
  it('is true only when both user name and password are equal', () => {
    expect(credentialsMatch({ username: 'azure-devops', password: 's3cret' }, expected)).toBe(true);
    expect(credentialsMatch({ username: 'azure-devops', password: 's3cret ' }, expected)).toBe(false);
    expect(credentialsMatch({ username: 'Azure-devops', password: 's3cret' }, expected)).toBe(false);
    expect(credentialsMatch({ username: '', password: '' }, expected)).toBe(false);
    expect(credentialsMatch({ username: 'azure-devops', password: 's3cret'.repeat(1000) }, expected)).toBe(
      false,
    );
  });

  it('agrees with plain equality on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (u1, p1, u2, p2) => {
        const given = { username: u1, password: p1 };
        const want = { username: u2, password: p2 };
        expect(credentialsMatch(given, want)).toBe(u1 === u2 && p1 === p2);
        expect(credentialsMatch(given, given)).toBe(true);
      }),
    );
  });
});

describe('parseSecretValue', () => {
  it('reads {"username", "password"} and ignores other keys', () => {
    expect(parseSecretValue('{"username":"u","password":"p","note":"x"}')).toEqual({
      username: 'u',
      password: 'p',
    });
  });

  it('given the repositoryId berth connect stores, when read, then it comes out lower-case; a value that is not a GUID is ignored', () => {
    expect(
      parseSecretValue(
        '{"username":"u","password":"p","repositoryId":"278D5CD2-584D-4B63-824A-2BA458937249"}',
      ),
    ).toEqual({ username: 'u', password: 'p', repositoryId: '278d5cd2-584d-4b63-824a-2ba458937249' });
    expect(parseSecretValue('{"username":"u","password":"p","repositoryId":"my-repo"}')).toEqual({
      username: 'u',
      password: 'p',
    });
  });

  it.each([
    ['no value', undefined],
    ['not JSON', 'password'],
    ['a JSON string', '"u:p"'],
    ['null', 'null'],
    ['no password', '{"username":"u"}'],
    ['a numeric password', '{"username":"u","password":1234}'],
    ['an empty password', '{"username":"u","password":""}'],
    ['an empty user name', '{"username":"","password":"p"}'],
  ])('refuses %s', (_what, value) => {
    expect(parseSecretValue(value)).toBeUndefined();
  });
});
