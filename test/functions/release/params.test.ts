import { describe, expect, it } from 'vitest';
import { releaseUserParameters } from '../../../src/contracts';
import { parseActionParameters } from '../../../src/functions/release/params';
import { COMMIT, EXECUTION_ID } from './helpers';

const raw = (v: Record<string, unknown>) =>
  JSON.stringify({ commit: COMMIT, mode: 'release', executionId: EXECUTION_ID, ...v });

describe('the action parameters', () => {
  it.each(['release', 'rollback', 'redeploy'])(
    'given mode %s and a commit, when parsed, then they are accepted',
    (mode) => {
      expect(parseActionParameters(raw({ mode }))).toEqual({
        ok: true,
        params: { commit: COMMIT, mode, executionId: EXECUTION_ID },
      });
    },
  );

  it('given an upper-case commit and mode, when parsed, then both are lowered', () => {
    expect(parseActionParameters(raw({ commit: COMMIT.toUpperCase(), mode: ' Rollback ' }))).toEqual({
      ok: true,
      params: { commit: COMMIT, mode: 'rollback', executionId: EXECUTION_ID },
    });
  });

  it('given a redeploy without a commit, when parsed, then it is accepted (a redeploy keeps the running image)', () => {
    expect(parseActionParameters(raw({ mode: 'redeploy', commit: 'none' }))).toMatchObject({
      ok: true,
      params: { mode: 'redeploy', commit: 'none' },
    });
  });

  it.each([
    [
      'a short commit',
      { commit: COMMIT.slice(0, 7) },
      /COMMIT_ID must be a full 40-hex-digit commit id for a release \(got "3f5e2c1"\)/,
    ],
    [
      'no commit (none)',
      { commit: 'none', mode: 'rollback' },
      /COMMIT_ID must be .* for a rollback \(got "none"\)/,
    ],
    ['a commit with a non-hex digit', { commit: `${COMMIT.slice(0, 39)}g` }, /COMMIT_ID must be/],
    ['an unresolved variable', { commit: '#{variables.COMMIT_ID}' }, /got "#\{variables.COMMIT_ID\}"/],
    [
      'an unknown mode',
      { mode: 'deploy' },
      /RELEASE_MODE must be one of release, rollback, redeploy \(got "deploy"\)/,
    ],
    ['no mode', { mode: undefined }, /RELEASE_MODE must be one of .* \(got "nothing"\)/],
    ['a bad execution id', { executionId: 'a b' }, /execution id must be 1 to 100 letters, digits or dashes/],
  ])('given %s, when parsed, then it is refused with a clear message', (_, value, message) => {
    const result = parseActionParameters(raw(value));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toMatch(message);
  });

  it.each([
    [undefined, /are empty/],
    ['', /are empty/],
    ['{not json', /are not JSON/],
    ['[1]', /are not a JSON object/],
  ])('given UserParameters %j, when parsed, then the problem says what is expected', (value, message) => {
    const result = parseActionParameters(value);
    expect(result.ok ? '' : result.problem).toMatch(message);
    expect(result.ok ? '' : result.problem).toMatch(/expected JSON \{"commit"/);
  });

  it('given the shape the infrastructure sends, when resolved by CodePipeline, then its keys are the ones parsed', () => {
    expect(Object.keys(releaseUserParameters()).sort()).toEqual(['commit', 'executionId', 'mode']);
  });
});
