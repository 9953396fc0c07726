/**
 * What Berth needs to know about a container host's instance type, without calling AWS: its CPU architecture
 * (from the type's name), and for the common types its vCPUs, memory and how many awsvpc tasks it can hold.
 *
 * Each awsvpc task gets its own elastic network interface (ENI). Without ENI trunking an instance holds its
 * maximum ENIs minus the primary one; with the `awsvpcTrunking` account setting (which Berth applies to the
 * container hosts' role) supported types hold many more.
 *
 * Sources, read 2026-12-01:
 * - Amazon EC2 instance type specifications (vCPUs, memory, maximum network interfaces):
 *   https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html and co.html
 * - Amazon ECS Developer Guide, "Increasing Amazon ECS Linux container instance network interfaces" and
 *   "Supported instances for increased Amazon ECS container network interfaces" (task limit with trunking;
 *   the guide's own example: a c5.large holds 2 tasks without and 10 with trunking):
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html
 * A type missing here is still accepted; `berth plan` then says it cannot check task placement for it.
 */

export type CpuArchitecture = 'x86_64' | 'arm64';

export interface InstanceFacts {
  readonly vcpus: number;
  readonly memoryMiB: number;
  /** ENIs the type can attach, the primary included. */
  readonly maxEnis: number;
  /** awsvpc tasks the type holds with ENI trunking; undefined when the type does not support trunking. */
  readonly trunkedTasks?: number;
}

const t = (vcpus: number, memoryGiB: number, maxEnis: number, trunkedTasks?: number): InstanceFacts => ({
  vcpus,
  memoryMiB: memoryGiB * 1024,
  maxEnis,
  ...(trunkedTasks === undefined ? {} : { trunkedTasks }),
});

/** Trunking-capable families share these limits per size. */
const TRUNKED_SIZES = {
  large: { enis: 3, tasks: 10, vcpus: 2 },
  xlarge: { enis: 4, tasks: 20, vcpus: 4 },
  '2xlarge': { enis: 4, tasks: 40, vcpus: 8 },
  '4xlarge': { enis: 8, tasks: 60, vcpus: 16 },
} as const;

/** GiB of memory per vCPU of each trunking-capable family. */
const TRUNKED_FAMILIES: Readonly<Record<string, number>> = {
  c5: 2,
  c6i: 2,
  c6g: 2,
  c7i: 2,
  c7g: 2,
  m5: 4,
  m6i: 4,
  m6g: 4,
  m7i: 4,
  m7g: 4,
  r5: 8,
  r6i: 8,
  r6g: 8,
  r7g: 8,
};

const BURSTABLE: Readonly<Record<string, InstanceFacts>> = {
  micro: t(2, 1, 2),
  small: t(2, 2, 3),
  medium: t(2, 4, 3),
  large: t(2, 8, 3),
  xlarge: t(4, 16, 4),
  '2xlarge': t(8, 32, 4),
};

function buildTable(): Record<string, InstanceFacts> {
  const table: Record<string, InstanceFacts> = {};
  for (const [family, gibPerVcpu] of Object.entries(TRUNKED_FAMILIES)) {
    for (const [size, s] of Object.entries(TRUNKED_SIZES)) {
      table[`${family}.${size}`] = t(s.vcpus, s.vcpus * gibPerVcpu, s.enis, s.tasks);
    }
  }
  for (const family of ['t3', 't3a', 't4g']) {
    for (const [size, facts] of Object.entries(BURSTABLE)) table[`${family}.${size}`] = facts;
  }
  return table;
}

export const INSTANCE_FACTS: Readonly<Record<string, InstanceFacts>> = buildTable();

/** Graviton families carry a `g` right after their generation (`m7g`, `c6gn`, `t4g`); `a1` is Graviton too. */
export function architectureOf(instanceType: string): CpuArchitecture {
  const family = instanceType.split('.')[0];
  return family === 'a1' || /^[a-z]+\d+g[a-z]*$/.test(family) ? 'arm64' : 'x86_64';
}

/** The Docker platform images must be built for to run on hosts of this architecture. */
export function platformOf(arch: CpuArchitecture): 'linux/amd64' | 'linux/arm64' {
  return arch === 'arm64' ? 'linux/arm64' : 'linux/amd64';
}

/** Facts about a type, or undefined when Berth's table does not know it. */
export function instanceFacts(instanceType: string): InstanceFacts | undefined {
  return Object.hasOwn(INSTANCE_FACTS, instanceType) ? INSTANCE_FACTS[instanceType] : undefined;
}

/**
 * Memory the ECS agent registers for tasks: the instance's memory less what the OS and agent keep. The ECS
 * guide ("Reserving Amazon ECS Linux container instance memory") says to expect less than the nominal figure;
 * Berth plans with 90 % of it, less 256 MiB, which is on the safe side of what AL2023 hosts register.
 */
export function taskMemoryMiB(facts: InstanceFacts): number {
  return Math.floor(facts.memoryMiB * 0.9) - 256;
}

/** How many awsvpc tasks fit on one host by ENIs, with trunking when the type supports it. */
export function taskEnis(facts: InstanceFacts): number {
  return facts.trunkedTasks ?? facts.maxEnis - 1;
}
