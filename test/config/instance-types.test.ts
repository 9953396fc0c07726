import { describe, expect, it } from 'vitest';
import {
  INSTANCE_FACTS,
  architectureOf,
  instanceFacts,
  platformOf,
  taskEnis,
  taskMemoryMiB,
} from '../../src/config/instance-types';

describe('architectureOf', () => {
  it.each([
    't4g.medium',
    'm7g.large',
    'c6g.xlarge',
    'c6gn.large',
    'r6gd.2xlarge',
    'c7gn.large',
    'im4gn.large',
    'g5g.xlarge',
    'a1.large',
  ])('given the Graviton type %s, when its architecture is read from the name, then it is arm64', (type) => {
    expect(architectureOf(type)).toBe('arm64');
  });

  it.each([
    'c5.large',
    't3.medium',
    't3a.small',
    'm5.xlarge',
    'm6i.large',
    'c7i.large',
    'r5.large',
    'g5.xlarge',
    'x2iedn.xlarge',
    'inf2.xlarge',
  ])('given the x86 type %s, when its architecture is read from the name, then it is x86_64', (type) => {
    expect(architectureOf(type)).toBe('x86_64');
  });
});

describe('platformOf', () => {
  it('given each architecture, when the image platform is chosen, then arm64 hosts need linux/arm64 and x86 hosts linux/amd64', () => {
    expect(platformOf('arm64')).toBe('linux/arm64');
    expect(platformOf('x86_64')).toBe('linux/amd64');
  });
});

describe('instanceFacts', () => {
  it('given c5.large, when looked up, then it has the figures of the EC2 and ECS guides: 2 vCPUs, 4 GiB, 3 ENIs, 10 trunked tasks', () => {
    expect(instanceFacts('c5.large')).toEqual({ vcpus: 2, memoryMiB: 4096, maxEnis: 3, trunkedTasks: 10 });
  });

  it('given t3.medium, a type without ENI trunking, when looked up, then it has no trunked task count', () => {
    expect(instanceFacts('t3.medium')).toEqual({ vcpus: 2, memoryMiB: 4096, maxEnis: 3 });
  });

  it('given a trunking family, when its sizes are looked up, then memory follows the family ratio (c 2, m 4, r 8 GiB per vCPU)', () => {
    expect(instanceFacts('c6g.xlarge')).toMatchObject({ vcpus: 4, memoryMiB: 4 * 2 * 1024 });
    expect(instanceFacts('m5.2xlarge')).toMatchObject({ vcpus: 8, memoryMiB: 8 * 4 * 1024 });
    expect(instanceFacts('r7g.4xlarge')).toMatchObject({ vcpus: 16, memoryMiB: 16 * 8 * 1024 });
  });

  it.each(['x9.huge', 'c5.metal', 'p5.48xlarge', 'constructor', 'toString', '__proto__', ''])(
    'given %j, which the table does not know, when looked up, then there are no facts (and no inherited property is taken for one)',
    (type) => {
      expect(instanceFacts(type)).toBeUndefined();
    },
  );

  it.each(Object.entries(INSTANCE_FACTS))(
    'given %s in the table, when its facts are read, then they are consistent (positive sizes, a primary ENI plus one for tasks, trunking above the ENI limit)',
    (_, facts) => {
      expect(facts.vcpus).toBeGreaterThan(0);
      expect(facts.memoryMiB % 1024).toBe(0);
      expect(facts.maxEnis).toBeGreaterThanOrEqual(2);
      if (facts.trunkedTasks !== undefined) expect(facts.trunkedTasks).toBeGreaterThan(facts.maxEnis - 1);
      expect(taskMemoryMiB(facts)).toBeGreaterThan(0);
      expect(taskMemoryMiB(facts)).toBeLessThan(facts.memoryMiB);
    },
  );

  it('given the table, when its types are listed, then the default host c5.large and the documented Graviton switch c6g.large are in it', () => {
    expect(Object.keys(INSTANCE_FACTS)).toEqual(
      expect.arrayContaining(['c5.large', 'c6g.large', 'm5.large', 't4g.medium']),
    );
  });
});

describe('taskMemoryMiB', () => {
  it('given a host, when memory for tasks is planned, then it is 90 % of the nominal memory, rounded down, less 256 MiB', () => {
    const facts = instanceFacts('c5.large')!;

    expect(taskMemoryMiB(facts)).toBe(Math.floor(facts.memoryMiB * 0.9) - 256);
    expect(taskMemoryMiB({ vcpus: 1, memoryMiB: 1000, maxEnis: 2 })).toBe(900 - 256);
    expect(taskMemoryMiB({ vcpus: 1, memoryMiB: 1001, maxEnis: 2 })).toBe(900 - 256);
  });
});

describe('taskEnis', () => {
  it("given c5.large with trunking, when tasks per host are counted, then it holds 10 (the ECS guide's example)", () => {
    expect(taskEnis(instanceFacts('c5.large')!)).toBe(10);
  });

  it('given a type without trunking, when tasks per host are counted, then it holds its ENIs less the primary one', () => {
    const facts = instanceFacts('t3.medium')!;
    expect(taskEnis(facts)).toBe(facts.maxEnis - 1);
    expect(taskEnis({ vcpus: 2, memoryMiB: 4096, maxEnis: 3 })).toBe(2);
  });
});
