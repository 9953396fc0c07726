/**
 * `npm run rehearse`: runs the release functions' real AWS calls (Scan, Push, Deploy, Verify) against moto, an
 * AWS-shaped emulator, through scenarios: findings above and below the threshold, no scan yet, retags and their
 * re-runs, a first release, rollouts that complete, fail or never settle, re-runs and retries. CodePipeline's
 * PutJob* results are captured, not sent; waits run on a virtual clock; every loop is bounded.
 *
 * It needs moto 5 (`moto_server`) in a local Python (the machine image has it; a laptop may not): set
 * BERTH_REHEARSE_PYTHON to pick the interpreter. Nothing leaves the machine: the SDK's endpoint is moto on
 * 127.0.0.1 and any proxy-aware client is sent to a dead proxy. One line per scenario, then `N passed, M failed`;
 * the exit code is non-zero when any failed. Not part of `npm test`.
 */
import { Moto, findMotoPython } from './rehearse/moto';
import { SCENARIOS } from './rehearse/scenarios';
import { createClients } from './rehearse/world';

const SCENARIO_TIMEOUT_MS = 120_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<number> {
  const python = findMotoPython();
  if (python === undefined) {
    console.error(
      'moto is not installed in any python found (python3, python, $BERTH_REHEARSE_PYTHON): pip install "moto[server]"',
    );
    return 2;
  }
  const filter = process.argv[2];
  const moto = await Moto.start(python);
  const stop = () => {
    void moto.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let passed = 0;
  let failed = 0;
  try {
    Object.assign(process.env, moto.awsEnv());
    const clients = createClients();
    console.log(`moto on ${moto.endpoint} (pid ${moto.child.pid})`);
    for (const scenario of SCENARIOS.filter((s) => filter === undefined || s.name.includes(filter))) {
      const started = Date.now();
      try {
        const detail = await withTimeout(scenario.run({ moto, clients }), SCENARIO_TIMEOUT_MS, scenario.name);
        passed += 1;
        console.log(`PASS  ${scenario.name}: ${detail} (${Date.now() - started} ms)`);
      } catch (err) {
        failed += 1;
        console.log(`FAIL  ${scenario.name}: ${err instanceof Error ? err.message : String(err)}`);
        if (process.env.REHEARSE_VERBOSE) console.log(moto.stderr.join('').slice(-4000));
      }
    }
  } finally {
    await moto.stop();
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
