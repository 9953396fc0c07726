import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface ProjectSecretsProps {
  /** Name of the Azure DevOps PAT secret. */
  readonly patSecretName: string;
  /** Name of the webhook credentials secret. */
  readonly webhookSecretName: string;
  /** Name of the application's own secret, handed to its containers. */
  readonly appSecretName: string;
  /** Basic-auth user name Azure DevOps sends to the webhook. */
  readonly webhookUsername: string;
}

/** Key of the PAT inside its secret's JSON value. */
export const PAT_JSON_KEY = 'pat';

/**
 * A project's secrets, all retained on delete so a redeploy keeps what operators stored:
 * - the Azure DevOps PAT (`{"pat": ""}` until an operator runs `berth set-pat`), read by Checkout and the
 *   commit-status reporter;
 * - the webhook's Basic-auth credentials, generated at deploy, read by the webhook and `berth connect`;
 * - the application's own secret (`{}` until set), each key of service.secrets injected into the containers as its variable.
 */
export class ProjectSecrets extends Construct {
  readonly pat: secretsmanager.Secret;
  readonly webhook: secretsmanager.Secret;
  readonly app: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ProjectSecretsProps) {
    super(scope, id);
    this.pat = new secretsmanager.Secret(this, 'AzureDevOpsPat', {
      secretName: props.patSecretName,
      description:
        'Azure DevOps PAT (Code: read & status) of this project: set it with `npx --no-install berth set-pat <project>`',
      // An empty placeholder, not a secret: the value is written by the operator after deploy.
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ [PAT_JSON_KEY]: '' })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.webhook = new secretsmanager.Secret(this, 'WebhookCredentials', {
      secretName: props.webhookSecretName,
      description:
        "Basic-auth credentials Azure DevOps sends to this project's webhook (see `npx --no-install berth connect`)",
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: props.webhookUsername }),
        generateStringKey: 'password',
        passwordLength: 40,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.app = new secretsmanager.Secret(this, 'AppSecrets', {
      secretName: props.appSecretName,
      description:
        "The application's own secrets as a JSON object; service.secrets in berth.yaml maps container variables to its keys",
      secretStringValue: SecretValue.unsafePlainText('{}'),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this,
      'AwsSolutions-SMG4',
      'A PAT is minted in Azure DevOps and cannot be rotated by a Lambda here; webhook and app secrets are rotated with the runbook in docs/runbooks.md, which avoids missing a push.',
    );
  }
}
