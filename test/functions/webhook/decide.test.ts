import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientRequestToken, decide, repositoryMatches } from '../../../src/functions/webhook/decide';
import { parseWebhookBody, type WebhookEvent } from '../../../src/functions/webhook/parse';
import type { WebhookProjectSettings } from '../../../src/functions/webhook/settings';
import { fixture, PROJECTS, PUSH_COMMIT, PUSH_ID, REPO_ID, testDelivery } from './helpers';

const CASH = PROJECTS['cash-collection'];
const POULTRY = PROJECTS['poultry-sale'];
const EGG = PROJECTS['egg-sale'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function event(body: any): WebhookEvent {
  const parsed = parseWebhookBody(JSON.stringify(body));
  if (!parsed.ok) throw new Error(`fixture variation does not parse: ${parsed.problems.join(', ')}`);
  return parsed.event;
}

describe('decide', () => {
  it('given the documented push on the configured branch, when decided, then it starts with COMMIT_ID and RELEASE_MODE=release, keyed by the pushId', () => {
    expect(decide('cash-collection', CASH, event(fixture('git.push')))).toEqual({
      action: 'start',
      request: {
        pipelineName: 'berth-cash-collection',
        clientRequestToken: clientRequestToken('cash-collection', PUSH_COMMIT, PUSH_ID),
        variables: [
          { name: 'COMMIT_ID', value: PUSH_COMMIT },
          { name: 'RELEASE_MODE', value: 'release' },
        ],
        commit: PUSH_COMMIT,
        branch: 'main',
        repository: REPO_ID,
        pushId: PUSH_ID,
      },
    });
  });

  it('given a push whose payload has no repository GUID, when decided, then its push-order key names the repository by project and name', () => {
    const body = fixture('git.push');
    delete body.resource.repository.id;
    const decision = decide('egg-sale', EGG, event(body));
    expect(decision).toMatchObject({
      action: 'start',
      request: { repository: 'fabrikam-fiber-git/fabrikam-fiber-git' },
    });
  });

  it('given the documented merged pull request, when decided, then it is ignored: the push of the merge commit releases it', () => {
    expect(decide('cash-collection', CASH, event(fixture('git.pullrequest.merged')))).toEqual({
      action: 'ignore',
      reason: 'git.pullrequest.merged does not start a release: the push of the merge commit releases it',
    });
  });

  it('given the "Test" delivery, when decided, then it is ignored as a test, whatever its repository', () => {
    expect(decide('egg-sale', EGG, event(testDelivery()))).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('test delivery'),
    });
  });

  it('given a foreign repository on another branch, when decided, then the repository is what the reason names', () => {
    const body = fixture('git.push');
    body.resource.repository.id = '00000000-0000-4000-8000-000000000001';
    body.resource.repository.name = 'elsewhere';
    body.resource.refUpdates[0].name = 'refs/heads/dev';
    expect(decide('cash-collection', CASH, event(body))).toEqual({
      action: 'ignore',
      reason: 'repository "elsewhere" is not the repository of project "cash-collection"',
    });
  });

  it('given pushes of other refs only, or a deletion of the branch, when decided, then they are ignored', () => {
    const other = fixture('git.push');
    other.resource.refUpdates[0].name = 'refs/heads/mainline';
    expect(decide('cash-collection', CASH, event(other))).toMatchObject({
      action: 'ignore',
      branch: 'mainline',
    });
    const tag = fixture('git.push');
    tag.resource.refUpdates[0].name = 'refs/tags/main';
    expect(decide('cash-collection', CASH, event(tag)).action).toBe('ignore');
    const deleted = fixture('git.push');
    deleted.resource.refUpdates[0].newObjectId = '0'.repeat(40);
    expect(decide('cash-collection', CASH, event(deleted))).toMatchObject({
      action: 'ignore',
      reason: /deleted/,
    });
  });

  it('given a newly created branch (all-zero old object id), when decided, then it starts', () => {
    const created = fixture('git.push');
    created.resource.refUpdates[0].oldObjectId = '0'.repeat(40);
    expect(decide('cash-collection', CASH, event(created)).action).toBe('start');
  });

  it('given a ref differing in case, when decided, then it is the configured branch (Azure Repos refs are case-insensitive)', () => {
    const body = fixture('git.push');
    body.resource.refUpdates[0].name = 'refs/heads/Main';
    expect(decide('cash-collection', CASH, event(body))).toMatchObject({
      action: 'start',
      request: { branch: 'main' },
    });
  });

  it('given names that are not the configured ones but the GUID stored by connect, when decided, then it starts', () => {
    expect(decide('poultry-sale', POULTRY, event(fixture('git.push')), REPO_ID).action).toBe('start');
    expect(decide('poultry-sale', POULTRY, event(fixture('git.push'))).action).toBe('ignore');
  });

  it('given any event type other than git.push, when decided, then nothing starts', () => {
    fc.assert(
      fc.property(
        fc.string().filter((t) => t !== 'git.push' && t !== ''),
        (eventType) => {
          expect(decide('cash-collection', CASH, { kind: 'other', eventType }).action).toBe('ignore');
        },
      ),
    );
  });

  it('given arbitrary pushes, when decided, then only the configured repository and branch with a live commit start', () => {
    const names = fc.constantFrom('Fabrikam-Fiber-Git', 'fabrikam-fiber-git', 'Other');
    const ids = fc.constantFrom(
      REPO_ID,
      REPO_ID.toUpperCase(),
      '00000000-0000-4000-8000-000000000002',
      undefined,
    );
    const refs = fc.constantFrom(
      'refs/heads/main',
      'refs/heads/MAIN',
      'refs/heads/dev',
      'refs/tags/v1',
      'main',
    );
    const commits = fc.oneof(fc.constant('0'.repeat(40)), fc.stringMatching(/^[0-9a-f]{40}$/));
    fc.assert(
      fc.property(
        fc.constantFrom('cash-collection', 'egg-sale'),
        names,
        names,
        ids,
        fc.array(fc.record({ name: refs, newObjectId: commits }), { minLength: 1 }),
        (service, name, project, id, refUpdates) => {
          const settings = PROJECTS[service];
          const d = decide(service, settings, {
            kind: 'push',
            eventType: 'git.push',
            repository: { ...(id === undefined ? {} : { id }), name, projectName: project },
            refUpdates,
          });
          const byId = settings.repository.id !== undefined && id !== undefined;
          const repoOk = byId ? id.toLowerCase() === REPO_ID : name !== 'Other' && project !== 'Other';
          const ref = refUpdates.find((r) => r.name.toLowerCase() === 'refs/heads/main');
          if (!repoOk || !ref || /^0+$/.test(ref.newObjectId)) expect(d.action).toBe('ignore');
          else expect(d).toMatchObject({ action: 'start', request: { commit: ref.newObjectId } });
        },
      ),
    );
  });
});

describe('repositoryMatches', () => {
  const settings: WebhookProjectSettings = { ...CASH, repository: { project: 'P', name: 'R' } };

  it('given no GUID known, when compared, then names decide case-insensitively', () => {
    expect(repositoryMatches({ name: 'r', projectName: 'p' }, settings)).toBe(true);
    expect(repositoryMatches({ id: 'anything', name: 'R', projectName: 'P' }, settings)).toBe(true);
    expect(repositoryMatches({ name: 'R', projectName: 'Q' }, settings)).toBe(false);
  });

  it('given a configured GUID, when compared, then the GUID decides (a renamed repository still matches) and beats the stored one', () => {
    const withId = { ...settings, repository: { ...settings.repository, id: 'abc' } };
    expect(repositoryMatches({ id: 'ABC', name: 'Renamed', projectName: 'Moved' }, withId)).toBe(true);
    expect(repositoryMatches({ id: 'abd', name: 'R', projectName: 'P' }, withId)).toBe(false);
    expect(repositoryMatches({ id: 'abc', name: 'R', projectName: 'P' }, withId, 'xyz')).toBe(true);
    expect(repositoryMatches({ name: 'R', projectName: 'P' }, withId)).toBe(true);
  });

  it('given only the stored GUID, when compared, then it decides', () => {
    expect(repositoryMatches({ id: 'XYZ', name: 'Renamed', projectName: 'Moved' }, settings, 'xyz')).toBe(
      true,
    );
    expect(repositoryMatches({ id: 'xyy', name: 'R', projectName: 'P' }, settings, 'xyz')).toBe(false);
  });
});

describe('clientRequestToken', () => {
  it('given service, commit and pushId, when derived, then it is a valid CodePipeline token, stable, and different for another push of the same commit', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.stringMatching(/^[0-9a-f]{40}$/),
        fc.nat(),
        (s1, s2, commit, pushId) => {
          const t = clientRequestToken(s1, commit, pushId);
          expect(t).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
          expect(clientRequestToken(s1, commit, pushId)).toBe(t);
          expect(clientRequestToken(s1, commit, pushId + 1)).not.toBe(t);
          if (s1 !== s2) expect(clientRequestToken(s2, commit, pushId)).not.toBe(t);
        },
      ),
    );
  });
});
