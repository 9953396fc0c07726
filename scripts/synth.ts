// `npm run synth`: synthesize every stack offline into cdk.out/ and say where they are and what was made.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const outdir = path.resolve('cdk.out');
// A failed synth must leave no templates behind that could be mistaken for its output.
rmSync(outdir, { recursive: true, force: true });

const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', outdir], {
  stdio: 'inherit',
  env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: '1' },
});
if (result.status !== 0) {
  rmSync(outdir, { recursive: true, force: true });
  process.exit(result.status ?? 1);
}

const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
  artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
};
const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
console.log(`\nSynthesized ${stacks.length} stacks into ${outdir}:`);
for (const [name, a] of stacks) {
  const file = path.join(outdir, a.properties!.templateFile!);
  const resources = existsSync(file)
    ? Object.keys(JSON.parse(readFileSync(file, 'utf8')).Resources).length
    : 0;
  console.log(
    `  ${name.padEnd(32)} ${String(resources).padStart(4)} resources  ${path.relative(process.cwd(), file)}`,
  );
}
