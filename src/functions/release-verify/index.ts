import { ECSClient } from '@aws-sdk/client-ecs';
import { lambdaEntry, SDK_CONFIG } from '../release/lambda';
import { verifySettings } from '../release/settings';
import { createVerifyStage } from '../release/verify';

/** Lambda entry of the pipeline's Verify action (CodePipeline "Lambda invoke"); it runs in the VPC. */
export const handler = lambdaEntry(
  createVerifyStage(verifySettings(process.env), {
    ecs: new ECSClient(SDK_CONFIG),
    fetch: (input, init) => fetch(input, init),
  }),
);
