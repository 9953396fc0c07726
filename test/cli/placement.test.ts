import { describe, expect, it } from 'vitest';
import { planPlacement } from '../../src/cli/plan/placement';

/** How many tasks a host holds and whether the counts fit on cluster.maxCapacity hosts, without CDK. */

type Svc = { cpu: number; memory: number; memoryReservation?: number; minCount: number; maxCount: number };
const project = (name: string, service: Partial<Svc> = {}) => ({
  name,
  service: { cpu: 256, memory: 512, minCount: 2, maxCount: 6, ...service },
});
const config = (instanceType: string, maxCapacity: number, projects: ReturnType<typeof project>[]) =>
  ({ cluster: { instanceType, maxCapacity }, projects }) as unknown as Parameters<typeof planPlacement>[0];

describe('planPlacement', () => {
  it('given c5.large (trunking) and 256/512 tasks, when planned, then memory limits a host to 6 tasks', () => {
    const p = planPlacement(config('c5.large', 4, [project('a')]));

    expect(p.host).toEqual({ vcpus: 2, cpuUnits: 2048, memoryMiB: 3430, tasks: 10, trunking: true });
    expect(p.projects[0]).toMatchObject({
      perHost: { byEnis: 10, byCpu: 8, byMemory: 6, tasks: 6 },
      limitedBy: 'memory',
    });
    expect(p.fits).toBe(true);
  });

  it('given t3.medium (no trunking) and small tasks, when planned, then network interfaces limit a host to 2 tasks', () => {
    const p = planPlacement(config('t3.medium', 2, [project('a', { cpu: 128, memory: 128 })]));

    expect(p.projects[0]).toMatchObject({
      perHost: { byEnis: 2, tasks: 2 },
      limitedBy: 'network interfaces',
    });
  });

  it('given memoryReservation, when planned, then the soft limit is what a host must hold', () => {
    const p = planPlacement(config('c5.large', 4, [project('a', { memory: 2048, memoryReservation: 512 })]));

    expect(p.projects[0].perHost.byMemory).toBe(6);
  });

  it('given three projects, when planned, then the demand is every minCount plus the heaviest project once more', () => {
    const p = planPlacement(
      config('c5.large', 2, [
        project('a'),
        project('b', { cpu: 1024, memory: 1024, minCount: 1 }),
        project('c', { minCount: 3 }),
      ]),
    );

    // Heaviest surge: b (1024/2048 of a host's CPU) over c (3 tasks, 1536 MiB of 3430).
    expect(p.demand).toEqual({
      tasks: 2 + 1 + 3 + 1,
      cpuUnits: 512 + 1024 + 768 + 1024,
      memoryMiB: 1024 + 1024 + 1536 + 1024,
      surgeProject: 'b',
    });
    expect(p.capacity).toEqual({ tasks: 20, cpuUnits: 4096, memoryMiB: 6860 });
    expect(p.fits).toBe(true);
  });

  it('given more tasks than the network interfaces of maxCapacity hosts, when planned, then a warning names that limit', () => {
    const p = planPlacement(config('t3.medium', 2, [project('a', { cpu: 128, memory: 128, minCount: 3 })]));

    expect(p.fits).toBe(false);
    expect(p.warnings[0]).toContain('network interfaces: 6 needed, 4 there');
  });

  it('given a task larger than a host, when planned, then it says so', () => {
    const p = planPlacement(config('c5.large', 4, [project('big', { cpu: 4096 })]));

    expect(p.warnings).toContain(
      'A task of big (4096 CPU units, 512 MiB) does not fit on one c5.large host (2048 CPU units, 3430 MiB for tasks).',
    );
  });

  it('given a type the instance table does not know, when planned, then nothing is checked and it says so', () => {
    const p = planPlacement(config('x9.huge', 4, [project('a')]));

    expect(p).toMatchObject({ known: false, projects: [] });
    expect(p.warnings[0]).toContain(
      'cluster.instanceType x9.huge is not in src/config/instance-types.ts, so task placement cannot be checked',
    );
  });
});
