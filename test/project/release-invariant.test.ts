import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_PARAMETERS } from '../../src/contracts';
import { buildApp, configWith, seedConfig, template } from '../support/app';
import {
  cdkDeployParameters,
  imageTag,
  StackSimulation,
  type CfnTemplate,
  type ServiceState,
} from '../support/cfn-model';

/**
 * The release invariant (docs/decisions/0001-release-path.md), replayed on the synthesized project template with
 * parameters and conditions evaluated as CloudFormation does: after the first release, no CloudFormation
 * operation lowers the running count below the scaling minimum or runs anything but the last released image,
 * and a failed release leaves the previous release serving.
 */

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const PROJECT = 'cash-collection';

let current: CfnTemplate;
/** The same project synthesized from an older checkout: other task size, other scaling bounds. */
let older: CfnTemplate;
let min: number;

function projectTemplate(config = seedConfig()): CfnTemplate {
  return template(buildApp(config).projects.get(PROJECT)!).toJSON() as CfnTemplate;
}

/** What must hold after the first release: the service exists, runs `tag`, and never below its minimum. */
function expectServing(service: ServiceState, tag: string, minimum = min): void {
  expect(service.exists).toBe(true);
  expect(imageTag(service.image)).toBe(tag);
  expect(service.desired).toBeGreaterThanOrEqual(minimum);
}

beforeAll(() => {
  current = projectTemplate();
  older = projectTemplate(
    configWith((raw) => {
      const p = (raw.projects as { service: Record<string, unknown> }[])[0];
      p.service.cpu = 512;
      p.service.memory = 1024;
      p.service.minCount = 1;
      p.service.maxCount = 3;
    }),
  );
  min = seedConfig().projects.find((p) => p.name === PROJECT)!.service.minCount;
});

describe('release invariant, replayed on the synthesized project template', () => {
  it('given a fresh account, when the stack is created, then no service exists and nothing can start without an image', () => {
    const stack = new StackSimulation();
    stack.deploy('create', current, cdkDeployParameters(current, undefined));
    expect(stack.state.parameters[STACK_PARAMETERS.imageTag]).toBe('none');
    expect(stack.service.exists).toBe(false);
  });

  it('given a created stack, when the first release runs, then the service is created on that image and scaled to its minimum', () => {
    const stack = new StackSimulation();
    stack.deploy('create', current, cdkDeployParameters(current, undefined));
    stack.release('first release', { [STACK_PARAMETERS.imageTag]: A });
    expectServing(stack.service, A);
    expect(stack.service.min).toBe(min);
  });

  it('given a failed first release, when CloudFormation rolls back, then nothing was live and nothing is', () => {
    const stack = new StackSimulation();
    stack.deploy('create', current, cdkDeployParameters(current, undefined));
    stack.release('first release fails', { [STACK_PARAMETERS.imageTag]: A }, { fail: true });
    expect(stack.service.exists).toBe(false);
    expect(stack.state.parameters[STACK_PARAMETERS.imageTag]).toBe('none');
  });

  it('given the first release, when the next cdk deploy fails and rolls back, then the release keeps serving at its count', () => {
    const stack = new StackSimulation();
    stack.deploy('create', current, cdkDeployParameters(current, undefined));
    stack.release('first release', { [STACK_PARAMETERS.imageTag]: A });
    stack.deploy('cdk deploy (fails)', older, cdkDeployParameters(older, stack.state), { fail: true });
    expectServing(stack.service, A);
    expect(stack.state.parameters[STACK_PARAMETERS.imageTag]).toBe(A);
  });

  it('given a release, when a later release fails, then the rollback restores the previous release, not an older deploy', () => {
    const stack = new StackSimulation();
    stack.deploy('create', current, cdkDeployParameters(current, undefined));
    stack.release('release A', { [STACK_PARAMETERS.imageTag]: A });
    stack.deploy('cdk deploy', current, cdkDeployParameters(current, stack.state));
    stack.release('release B', { [STACK_PARAMETERS.imageTag]: B });
    stack.release('release C fails', { [STACK_PARAMETERS.imageTag]: C }, { fail: true });
    expectServing(stack.service, B);
    expect(stack.state.parameters[STACK_PARAMETERS.imageTag]).toBe(B);
  });

  it('given a release, when cdk deploy runs from an older checkout, then the released image stays and the count is not lowered', () => {
    const stack = new StackSimulation();
    stack.deploy('create', current, cdkDeployParameters(current, undefined));
    stack.release('release A', { [STACK_PARAMETERS.imageTag]: A });
    stack.release('release B', { [STACK_PARAMETERS.imageTag]: B });
    const before = stack.service.desired!;
    stack.deploy('cdk deploy from an older checkout', older, cdkDeployParameters(older, stack.state));
    expectServing(stack.service, B, 1);
    expect(stack.service.desired).toBe(before);
  });

  it('given a scaled-out service, when any update touches the service, then the desired count is never reset', () => {
    const stack = new StackSimulation();
    stack.deploy('create', current, cdkDeployParameters(current, undefined));
    stack.release('release A', { [STACK_PARAMETERS.imageTag]: A });
    // Auto scaling owns the count; model a scale-out to the maximum.
    (stack.service as { desired?: number }).desired = stack.service.max;
    stack.release('redeploy', { [STACK_PARAMETERS.restartNonce]: 'exec-1' });
    expect(stack.service.desired).toBe(stack.service.max);
    expect(stack.service.nonce).toBe('exec-1');
    expectServing(stack.service, A);
  });

  it('given any sequence of the operations above, when each ends, then every state after the first release serves the last release', () => {
    const stack = new StackSimulation();
    stack.deploy('create', current, cdkDeployParameters(current, undefined));
    let last: string | undefined;
    const releases = [A, B, C];
    for (let i = 0; i < 12; i++) {
      const step = i % 4;
      if (step === 0) {
        const tag = releases[(i / 4) % 3];
        const fail = i === 8;
        stack.release(
          `release ${tag.slice(0, 1)}${fail ? ' (fails)' : ''}`,
          { [STACK_PARAMETERS.imageTag]: tag },
          { fail },
        );
        if (!fail) last = tag;
      } else if (step === 1)
        stack.deploy('cdk deploy (fails)', older, cdkDeployParameters(older, stack.state), { fail: true });
      else if (step === 2) stack.deploy('cdk deploy', current, cdkDeployParameters(current, stack.state));
      else stack.release('redeploy', { [STACK_PARAMETERS.restartNonce]: `exec-${i}` });
      if (last) expectServing(stack.service, last);
    }
  });
});
