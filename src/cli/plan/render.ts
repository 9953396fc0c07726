import { ASSUMPTION_FLAGS, round, type CostEstimate } from './estimate';
import type { ProjectRow, StackRow } from './synth';
import { formatNumber, formatPrice, formatTable, formatUsd } from './table';

/** What `berth plan` prints: the same data as human tables or, with `--json`, as one document. */
export interface PlanReport {
  readonly config: string;
  readonly prefix: string;
  readonly region: string;
  readonly stacks: readonly StackRow[];
  readonly projects: readonly ProjectRow[];
  readonly estimate: CostEstimate;
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
    estimate: {
      currency: e.currency,
      region: e.region,
      pricesDate: e.pricesDate,
      pricesSource: e.pricesSource,
      hoursPerMonth: e.hoursPerMonth,
      assumptions: e.assumptions,
      lines: e.lines.map((l) => ({
        ...l,
        quantity: round(l.quantity, 6),
        monthlyUsd: round(l.monthlyUsd, 6),
      })),
      totalUsd: round(e.totalUsd, 2),
      notIncluded: e.notIncluded,
    },
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
  const projects = formatTable(
    [
      { header: 'project' },
      { header: 'path' },
      { header: 'priority', align: 'right' },
      { header: 'stages' },
      { header: 'cpu/memory' },
      { header: 'tasks desired/min/max' },
    ],
    r.projects.map((p) => [
      p.name,
      `${p.path}/*`,
      String(p.priority),
      p.approval ? `${p.stages} (approval before Deploy)` : String(p.stages),
      `${p.cpu} / ${p.memory} MiB`,
      `${p.desiredCount} / ${p.minCount} / ${p.maxCount}`,
    ]),
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
        `${formatPrice(l.unitPrice)} per ${l.per}`,
        formatUsd(l.monthlyUsd),
        l.assumption,
      ]),
      ['Total', '', '', '', formatUsd(e.totalUsd), ''],
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
    `Monthly cost estimate, ${e.currency}, ${e.region} on-demand list prices of ${e.pricesDate}, ${e.hoursPerMonth} h per month`,
    cost,
    '',
    `Assumptions (change them with these flags): ${flags}`,
    `Not included: ${e.notIncluded.join('; ')}.`,
    `Prices: ${e.pricesSource}`,
  ].join('\n');
}
