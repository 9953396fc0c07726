import { ASSUMPTION_FLAGS, round, type CostEstimate } from './estimate';
import type { Placement } from './placement';
import type { ProjectRow, StackRow } from './synth';
import { formatNumber, formatPrice, formatTable, formatUsd } from './table';

/** What `berth plan` prints: the same data as human tables or, with `--json`, as one document. */
export interface PlanReport {
  readonly config: string;
  readonly prefix: string;
  readonly region: string;
  readonly stacks: readonly StackRow[];
  readonly projects: readonly ProjectRow[];
  readonly placement: Placement;
  readonly estimate: CostEstimate;
  /** Everything the reader should act on: placement, unpriced lines, alarms that reach nobody. */
  readonly warnings: readonly string[];
}

/** The `--json` document: numbers rounded to drop floating-point noise, the total to cents. */
export function planJson(r: PlanReport) {
  const e = r.estimate;
  return {
    config: r.config,
    prefix: r.prefix,
    region: r.region,
    stacks: r.stacks,
    projects: r.projects,
    placement: r.placement,
    estimate: {
      currency: e.currency,
      region: e.region,
      pricesDate: e.pricesDate,
      pricesSource: e.pricesSource,
      pricesFile: e.pricesFile,
      hoursPerMonth: e.hoursPerMonth,
      assumptions: e.assumptions,
      lines: e.lines.map((l) => ({
        ...l,
        quantity: round(l.quantity, 6),
        monthlyUsd: l.monthlyUsd === null ? null : round(l.monthlyUsd, 6),
      })),
      totalUsd: round(e.totalUsd, 2),
      complete: e.complete,
      unpricedLines: e.unpricedLines,
      notIncluded: e.notIncluded,
    },
    warnings: r.warnings,
  };
}

export function renderPlan(r: PlanReport): string {
  const e = r.estimate;
  const stacks = formatTable(
    [
      { header: 'stack' },
      { header: 'resources', align: 'right' },
      { header: 'of limit', align: 'right' },
      { header: '' },
    ],
    r.stacks.map((s) => [
      s.name,
      String(s.resources),
      String(s.limit),
      `${Math.round((s.resources / s.limit) * 100)}%`,
    ]),
  );
  const perHost = new Map(r.placement.projects.map((p) => [p.name, p]));
  const projects = formatTable(
    [
      { header: 'project' },
      { header: 'path' },
      { header: 'priority', align: 'right' },
      { header: 'stages' },
      { header: 'images' },
      { header: 'cpu/memory' },
      { header: 'tasks min/max' },
      { header: 'tasks per host', align: 'right' },
    ],
    r.projects.map((p) => {
      const placed = perHost.get(p.name);
      return [
        p.name,
        p.kind === 'web' ? `${p.path}/*` : 'worker (no path)',
        p.priority === undefined ? '-' : String(p.priority),
        p.approval ? `${p.stages} (approval before Deploy)` : String(p.stages),
        p.architectures.join('+'),
        `${p.cpu} / ${p.memory} MiB`,
        `${p.minCount} / ${p.maxCount}`,
        placed ? `${placed.perHost.tasks} (${placed.limitedBy})` : '?',
      ];
    }),
  );
  const cost = formatTable(
    [
      { header: 'item' },
      { header: 'quantity', align: 'right' },
      { header: 'unit' },
      { header: 'price' },
      { header: 'monthly', align: 'right' },
      { header: 'how the quantity is counted' },
    ],
    [
      ...e.lines.map((l) => [
        l.item,
        formatNumber(l.quantity, 4),
        l.unit,
        l.unitPrice === null ? (l.unpriced ?? 'no price') : `${formatPrice(l.unitPrice)} per ${l.per}`,
        l.monthlyUsd === null ? '-' : formatUsd(l.monthlyUsd),
        l.assumption,
      ]),
      [
        e.complete
          ? 'Total'
          : `Total of the ${e.lines.length - e.unpricedLines.length} priced lines (${e.unpricedLines.length} have no price)`,
        '',
        '',
        '',
        formatUsd(e.totalUsd),
        '',
      ],
    ],
  );
  const flags = ASSUMPTION_FLAGS.map((f) => `--${f.flag} ${e.assumptions[f.key]}`).join(' ');
  return [
    `Berth plan for ${r.config} (prefix ${r.prefix}, region ${r.region}). Offline: nothing was read from AWS.`,
    '',
    'Stacks (CloudFormation allows 500 resources per stack)',
    stacks,
    '',
    'Projects',
    projects,
    '',
    ...placementLines(r.placement),
    '',
    `Monthly cost estimate, ${e.currency}, ${e.region} on-demand list prices of ${e.pricesDate}, ${e.hoursPerMonth} h per month`,
    cost,
    '',
    `Assumptions (change them with these flags): ${flags}`,
    `Not included: ${e.notIncluded.join('; ')}.`,
    `Prices: ${e.pricesSource}`,
    ...(r.warnings.length > 0 ? ['', 'Warnings', ...r.warnings.map((w) => `  - ${w}`)] : []),
  ].join('\n');
}

function placementLines(p: Placement): string[] {
  if (!p.known || !p.host || !p.demand || !p.capacity) {
    return [
      `Placement on ${p.instanceType} hosts: not checked (${p.instanceType} is not in src/config/instance-types.ts).`,
    ];
  }
  const h = p.host;
  const d = p.demand;
  const c = p.capacity;
  const n = (x: number) => formatNumber(x, 0);
  return [
    `Placement on ${p.instanceType} hosts: ${h.vcpus} vCPUs (${n(h.cpuUnits)} CPU units), ${n(h.memoryMiB)} MiB for tasks, ${h.tasks} awsvpc tasks${h.trunking ? ' with ENI trunking' : ' (no ENI trunking)'}`,
    formatTable(
      [
        { header: 'project' },
        { header: 'by ENIs', align: 'right' },
        { header: 'by CPU', align: 'right' },
        { header: 'by memory', align: 'right' },
        { header: 'tasks per host', align: 'right' },
      ],
      p.projects.map((x) => [
        x.name,
        String(x.perHost.byEnis),
        String(x.perHost.byCpu),
        String(x.perHost.byMemory),
        String(x.perHost.tasks),
      ]),
    ),
    `  At once: ${d.tasks} tasks (every minCount${d.surgeProject ? `, plus ${d.surgeProject}'s again for a rolling deploy at 200 %` : ''}), ${n(d.cpuUnits)} CPU units, ${n(d.memoryMiB)} MiB; cluster.maxCapacity ${p.maxHosts} hosts hold ${n(c.tasks)} tasks, ${n(c.cpuUnits)} CPU units, ${n(c.memoryMiB)} MiB: ${p.fits ? 'they fit' : 'they do NOT fit'}.`,
  ];
}
