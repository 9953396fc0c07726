import type { ParsedConfig } from '../../config/schema';
import { instanceFacts, taskEnis, taskMemoryMiB } from '../../config/instance-types';

/**
 * Can the configured task counts be placed on the cluster? Per project, how many of its tasks one host holds (by
 * network interfaces with ENI trunking, by CPU, by memory: the smallest wins), and over the cluster, whether
 * cluster.maxCapacity hosts hold what must run at once: every project's minCount, plus one project's minCount
 * again while a rolling deploy at 200 % starts the new tasks before it stops the old ones (the project that
 * needs the most). The sums assume tasks spread evenly over the hosts (Berth's placement strategy spreads them);
 * one host's leftovers cannot be combined with another's, so a result close to the limit is tight.
 */

export interface HostCapacity {
  readonly vcpus: number;
  /** CPU units (1024 per vCPU). */
  readonly cpuUnits: number;
  /** Memory the ECS agent registers for tasks (see `taskMemoryMiB`). */
  readonly memoryMiB: number;
  /** awsvpc tasks (network interfaces), with trunking when the type supports it. */
  readonly tasks: number;
  readonly trunking: boolean;
}

export interface ProjectPlacement {
  readonly name: string;
  readonly cpu: number;
  /** What the scheduler reserves: memoryReservation when set, else memory. */
  readonly memoryMiB: number;
  readonly minCount: number;
  readonly maxCount: number;
  readonly perHost: {
    readonly byEnis: number;
    readonly byCpu: number;
    readonly byMemory: number;
    readonly tasks: number;
  };
  /** Which limit gives `perHost.tasks`. */
  readonly limitedBy: 'network interfaces' | 'CPU' | 'memory';
}

export interface Placement {
  readonly instanceType: string;
  /** False when src/config/instance-types.ts does not know the type: nothing else is checked. */
  readonly known: boolean;
  readonly host?: HostCapacity;
  readonly maxHosts: number;
  readonly projects: readonly ProjectPlacement[];
  /** What must run at once (minCounts plus the largest rolling-deploy surplus) and what maxCapacity hosts hold. */
  readonly demand?: {
    readonly tasks: number;
    readonly cpuUnits: number;
    readonly memoryMiB: number;
    readonly surgeProject?: string;
  };
  readonly capacity?: { readonly tasks: number; readonly cpuUnits: number; readonly memoryMiB: number };
  readonly fits?: boolean;
  readonly warnings: readonly string[];
}

export function planPlacement(config: Pick<ParsedConfig, 'cluster' | 'projects'>): Placement {
  const instanceType = config.cluster.instanceType;
  const maxHosts = config.cluster.maxCapacity;
  const facts = instanceFacts(instanceType);
  if (!facts) {
    return {
      instanceType,
      known: false,
      maxHosts,
      projects: [],
      warnings: [
        `cluster.instanceType ${instanceType} is not in src/config/instance-types.ts, so task placement cannot be checked (network interfaces, CPU and memory per host are unknown): check that cluster.maxCapacity hosts hold every project's minCount plus one rolling deploy, or add the type to that table.`,
      ],
    };
  }
  const host: HostCapacity = {
    vcpus: facts.vcpus,
    cpuUnits: facts.vcpus * 1024,
    memoryMiB: taskMemoryMiB(facts),
    tasks: taskEnis(facts),
    trunking: facts.trunkedTasks !== undefined,
  };
  const projects: ProjectPlacement[] = config.projects.map((p) => {
    const memoryMiB = p.service.memoryReservation ?? p.service.memory;
    const byEnis = host.tasks;
    const byCpu = Math.floor(host.cpuUnits / p.service.cpu);
    const byMemory = Math.floor(host.memoryMiB / memoryMiB);
    const tasks = Math.min(byEnis, byCpu, byMemory);
    const limitedBy = tasks === byEnis ? 'network interfaces' : tasks === byCpu ? 'CPU' : 'memory';
    return {
      name: p.name,
      cpu: p.service.cpu,
      memoryMiB,
      minCount: p.service.minCount,
      maxCount: p.service.maxCount,
      perHost: { byEnis, byCpu, byMemory, tasks },
      limitedBy,
    };
  });

  // The surge of one rolling deploy at 200 %: the project whose extra tasks weigh the most.
  const weight = (p: ProjectPlacement) =>
    Math.max(
      p.minCount / host.tasks,
      (p.minCount * p.cpu) / host.cpuUnits,
      (p.minCount * p.memoryMiB) / host.memoryMiB,
    );
  const surge = [...projects].sort((a, b) => weight(b) - weight(a))[0];
  const sumOf = (f: (p: ProjectPlacement) => number) => projects.reduce((s, p) => s + f(p), 0);
  const demand = {
    tasks: sumOf((p) => p.minCount) + (surge?.minCount ?? 0),
    cpuUnits: sumOf((p) => p.minCount * p.cpu) + (surge ? surge.minCount * surge.cpu : 0),
    memoryMiB: sumOf((p) => p.minCount * p.memoryMiB) + (surge ? surge.minCount * surge.memoryMiB : 0),
    ...(surge ? { surgeProject: surge.name } : {}),
  };
  const capacity = {
    tasks: host.tasks * maxHosts,
    cpuUnits: host.cpuUnits * maxHosts,
    memoryMiB: host.memoryMiB * maxHosts,
  };
  const warnings: string[] = [];
  const short: string[] = [];
  if (demand.tasks > capacity.tasks) {
    short.push(`network interfaces: ${demand.tasks} needed, ${capacity.tasks} there`);
  }
  if (demand.cpuUnits > capacity.cpuUnits) {
    short.push(`CPU: ${demand.cpuUnits} units needed, ${capacity.cpuUnits} there`);
  }
  if (demand.memoryMiB > capacity.memoryMiB) {
    short.push(`memory: ${demand.memoryMiB} MiB needed, ${capacity.memoryMiB} there`);
  }
  if (short.length > 0) {
    warnings.push(
      `The configured counts cannot be placed on cluster.maxCapacity ${maxHosts} ${instanceType} host${maxHosts === 1 ? '' : 's'}: every project's minCount plus ${surge?.name ?? 'one project'}'s again during a rolling deploy (200 %) is more than they hold (${short.join('; ')}). Raise cluster.maxCapacity, choose a larger cluster.instanceType, or lower service.minCount, cpu or memory.`,
    );
  }
  for (const p of projects) {
    if (p.perHost.tasks === 0) {
      warnings.push(
        `A task of ${p.name} (${p.cpu} CPU units, ${p.memoryMiB} MiB) does not fit on one ${instanceType} host (${host.cpuUnits} CPU units, ${host.memoryMiB} MiB for tasks).`,
      );
    }
  }
  return {
    instanceType,
    known: true,
    host,
    maxHosts,
    projects,
    demand,
    capacity,
    fits: short.length === 0,
    warnings,
  };
}
