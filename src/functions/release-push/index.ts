import { ECRClient } from '@aws-sdk/client-ecr';
import { lambdaEntry, SDK_CONFIG } from '../release/lambda';
import { createPushStage } from '../release/push';
import { pushSettings } from '../release/settings';

/** Lambda entry of the pipeline's Push action (CodePipeline "Lambda invoke"). */
export const handler = lambdaEntry(
  createPushStage(pushSettings(process.env), { ecr: new ECRClient(SDK_CONFIG) }),
);
