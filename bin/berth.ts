#!/usr/bin/env node
// CDK app entry: validate berth.yaml first, so a bad file emits no template at all (and says so at once, before
// the CDK is even loaded).
import { ConfigError, loadConfig } from '../src/config/load';

let config;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for a valid config, see above
(require('../src/app') as typeof import('../src/app')).createApp(config).app.synth();
