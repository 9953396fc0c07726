#!/usr/bin/env node
// CDK app entry: validate berth.yaml first, so a bad file emits no template at all.
import { createApp } from '../src/app';
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
createApp(config).app.synth();
