// `npm run check:guard`: the AWS Control Tower proactive controls (the cfn-guard rules that ship with
// @cdklabs/cdk-validator-cfnguard) over every synthesized template in cdk.out/ (run `npm run synth` first), one
// template at a time. Every finding must be fixed or acknowledged in cfn-guard-acknowledgements.yaml, which names
// the rule, the resources by construct path and the reason; an acknowledgement that matches nothing is an error
// too, so the file says exactly what is accepted today. Run by .ci/run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { findingsOf, matchFindings, type Acknowledgement, type Finding } from './check-guard/findings';

const ROOT = path.resolve(__dirname, '..');
const PACKAGE = path.join(ROOT, 'node_modules', '@cdklabs', 'cdk-validator-cfnguard');
const RULES = path.join(PACKAGE, 'rules', 'control-tower', 'cfn-guard');
const ACKNOWLEDGEMENTS = path.join(ROOT, 'cfn-guard-acknowledgements.yaml');

function guardBinary(): string {
  const platform =
    process.platform === 'darwin' ? 'macos' : process.platform === 'win32' ? 'windows' : 'ubuntu';
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return path.join(
    PACKAGE,
    'bin',
    platform,
    arch,
    process.platform === 'win32' ? 'cfn-guard.exe' : 'cfn-guard',
  );
}

type Metadata = Record<string, { type: string; data: unknown }[]>;

interface Manifest {
  artifacts: Record<
    string,
    {
      type: string;
      properties?: { templateFile?: string };
      metadata?: Metadata;
      /** Where the CDK puts the stack's metadata when it does not inline it in the manifest. */
      additionalMetadataFile?: string;
    }
  >;
}

function main(): number {
  const outdir = path.resolve(process.argv[2] ?? 'cdk.out');
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as Manifest;
  const acknowledgements = (
    parse(readFileSync(ACKNOWLEDGEMENTS, 'utf8')) as { acknowledgements: Acknowledgement[] }
  ).acknowledgements;
  const findings: Finding[] = [];
  for (const [stack, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    // Construct paths, not logical ids, name resources: ids carry hashes that change with the tree.
    const paths = new Map<string, string>();
    const metadata: Metadata = {
      ...artifact.metadata,
      ...(artifact.additionalMetadataFile
        ? (JSON.parse(readFileSync(path.join(outdir, artifact.additionalMetadataFile), 'utf8')) as Metadata)
        : {}),
    };
    for (const [constructPath, entries] of Object.entries(metadata)) {
      for (const e of entries)
        if (e.type === 'aws:cdk:logicalId') paths.set(String(e.data), constructPath.replace(/^\//, ''));
    }
    const template = path.join(outdir, artifact.properties!.templateFile!);
    const run = spawnSync(
      guardBinary(),
      ['validate', '-d', template, '-r', RULES, '--show-summary', 'none', '-o', 'json'],
      {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    // cfn-guard exits 19 when a rule fails and 0 when none does; anything else is the tool failing.
    if (run.status !== 0 && run.status !== 19) {
      console.error(`cfn-guard failed on ${template} (exit ${run.status}): ${run.stderr}`);
      return 2;
    }
    findings.push(...findingsOf(stack, run.stdout, (id) => paths.get(id) ?? `${stack}/${id}`));
  }
  const { unacknowledged, acknowledged, unused } = matchFindings(findings, acknowledgements);
  for (const f of acknowledged) console.log(`ACKNOWLEDGED ${f.rule}: ${f.resource}`);
  for (const f of unacknowledged) console.log(`FAIL ${f.rule}: ${f.resource}`);
  for (const a of unused)
    console.log(
      `STALE acknowledgement of ${a.rule} (${a.resources.join(', ')}): it matches no finding; remove it`,
    );
  console.log(
    `${findings.length} findings: ${acknowledged.length} acknowledged in ${path.basename(ACKNOWLEDGEMENTS)}, ${unacknowledged.length} not; ${unused.length} stale acknowledgements`,
  );
  return unacknowledged.length === 0 && unused.length === 0 ? 0 : 1;
}

process.exitCode = main();
