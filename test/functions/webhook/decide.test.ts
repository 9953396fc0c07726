import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientRequestToken, decide, repositoryMatches } from '../../../src/functions/webhook/decide';
import { parseWebhookBody, type WebhookEvent } from '../../../src/functions/webhook/parse';
import type { WebhookProjectSettings } from '../../../src/functions/webhook/settings';
import { fixture, MERGE_COMMIT, PROJECTS, PUSH_COMMIT } from './helpers';

const CASH = PROJECTS['cash-collection'];
const POULTRY = PROJECTS['poultry-sale'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function event(body: any): WebhookEvent {
  const parsed = parseWebhookBody(JSON.stringify(body));
  if (!parsed.ok) throw new Error(`fixture variation does not parse: ${parsed.problems.join(', ')}`);
  return parsed.event;
}

describe('decide', () => {
  it('starts the documented push on the configured branch with the pipeline variables', () => {
    expect(decide('cash-collection', CASH, event(fixture('git.push')))).toEqual({
      action: 'start',
      request: {
        pipelineName: 'berth-cash-collection',
        clientRequestToken: clientRequestToken('cash-collection', PUSH_COMMIT),
        variables: [
          { name: 'COMMIT_ID', value: PUSH_COMMIT },
          { name: 'BRANCH', value: 'main' },
          { name: 'REPOSITORY', value: 'Fabrikam-Fiber-Git' },
        ],
        commit: PUSH_COMMIT,
        branch: 'main',
      },
    });
  });

  it('starts the documented merged pull request on its merge commit', () => {
    const d = decide('poultry-sale', POULTRY, event(fixture('git.pullrequest.merged')));
    expect(d).toMatchObject({
      action: 'start',
      request: { commit: MERGE_COMMIT, pipelineName: 'berth-poultry-sale' },
    });
  });

  it('checks the repository before the branch: a foreign repository is refused even on another branch', () => {
    const body = fixture('git.push');
    body.resource.repository.name = 'elsewhere';
    body.resource.refUpdates[0].name = 'refs/heads/dev';
    expect(decide('cash-collection', CASH, event(body)).action).toBe('forbid');
  });

  it('ignores a push that creates or updates only other refs, and a deletion of the branch', () => {
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

  it('starts on a newly created branch (all-zero old object id)', () => {
    const created = fixture('git.push');
    created.resource.refUpdates[0].oldObjectId = '0'.repeat(40);
    expect(decide('cash-collection', CASH, event(created)).action).toBe('start');
  });

  it('compares branch refs case-insensitively, as Azure Repos does', () => {
    const body = fixture('git.push');
    body.resource.refUpdates[0].name = 'refs/heads/Main';
    expect(decide('cash-collection', CASH, event(body))).toMatchObject({
      action: 'start',
      request: { branch: 'main' },
    });
  });

  it('ignores a pull request that is not completed or targets another branch', () => {
    const active = fixture('git.pullrequest.merged');
    active.resource.status = 'active';
    expect(decide('poultry-sale', POULTRY, event(active)).action).toBe('ignore');
    const release = fixture('git.pullrequest.merged');
    release.resource.targetRefName = 'refs/heads/release';
    expect(decide('poultry-sale', POULTRY, event(release))).toMatchObject({
      action: 'ignore',
      branch: 'release',
    });
  });

  it('never starts an unhandled event type', () => {
    fc.assert(
      fc.property(
        fc.string().filter((t) => t !== 'git.push' && t !== 'git.pullrequest.merged' && t !== ''),
        (eventType) => {
          expect(decide('cash-collection', CASH, { kind: 'other', eventType }).action).toBe('ignore');
        },
      ),
    );
  });

  it('starts a push only for the configured repository and branch with a live commit', () => {
    const names = fc.constantFrom('Fabrikam-Fiber-Git', 'fabrikam-fiber-git', 'Other');
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
        names,
        names,
        fc.array(fc.record({ name: refs, newObjectId: commits }), { minLength: 1 }),
        (name, project, refUpdates) => {
          const d = decide('cash-collection', CASH, {
            kind: 'push',
            eventType: 'git.push',
            repository: { id: CASH.repository.id, name, projectName: project },
            refUpdates,
          });
          const repoOk = name !== 'Other' && project !== 'Other';
          const ref = refUpdates.find((r) => r.name.toLowerCase() === 'refs/heads/main');
          if (!repoOk) expect(d.action).toBe('forbid');
          else if (!ref || /^0+$/.test(ref.newObjectId)) expect(d.action).toBe('ignore');
          else expect(d).toMatchObject({ action: 'start', request: { commit: ref.newObjectId } });
        },
      ),
    );
  });
});

describe('repositoryMatches', () => {
  const settings: WebhookProjectSettings = { ...CASH, repository: { project: 'P', name: 'R' } };
  it('needs no id when none is configured, and the same id when one is', () => {
    expect(repositoryMatches({ name: 'r', projectName: 'p' }, settings)).toBe(true);
    expect(repositoryMatches({ id: 'anything', name: 'R', projectName: 'P' }, settings)).toBe(true);
    const withId = { ...settings, repository: { ...settings.repository, id: 'abc' } };
    expect(repositoryMatches({ id: 'ABC', name: 'R', projectName: 'P' }, withId)).toBe(true);
    expect(repositoryMatches({ id: 'abd', name: 'R', projectName: 'P' }, withId)).toBe(false);
    expect(repositoryMatches({ name: 'R', projectName: 'P' }, withId)).toBe(false);
  });
});

describe('clientRequestToken', () => {
  it('is a valid CodePipeline token, the same for the same service and commit, different otherwise', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.stringMatching(/^[0-9a-f]{40}$/), (s1, s2, commit) => {
        const t = clientRequestToken(s1, commit);
        expect(t).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
        expect(clientRequestToken(s1, commit)).toBe(t);
        if (s1 !== s2) expect(clientRequestToken(s2, commit)).not.toBe(t);
      }),
    );
    expect(clientRequestToken('cash-collection', PUSH_COMMIT)).not.toBe(
      clientRequestToken('cash-collection', MERGE_COMMIT),
    );
  });
});
