import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createDeployStage } from '../release/deploy';
import { lambdaEntry, SDK_CONFIG } from '../release/lambda';
import { deploySettings } from '../release/settings';

/** Lambda entry of the pipeline's Deploy action (CodePipeline "Lambda invoke"). */
export const handler = lambdaEntry(
  createDeployStage(deploySettings(process.env), {
    cfn: new CloudFormationClient(SDK_CONFIG),
    ecs: new ECSClient(SDK_CONFIG),
    ssm: new SSMClient(SDK_CONFIG),
  }),
);
