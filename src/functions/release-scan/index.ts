import { ECRClient } from '@aws-sdk/client-ecr';
import { lambdaEntry, SDK_CONFIG } from '../release/lambda';
import { createScanStage } from '../release/scan';
import { scanSettings } from '../release/settings';
import { systemClock } from '../release/telemetry';

/** Lambda entry of the pipeline's Scan action (CodePipeline "Lambda invoke"). */
export const handler = lambdaEntry(
  createScanStage(scanSettings(process.env), { ecr: new ECRClient(SDK_CONFIG), now: systemClock.now }),
);
