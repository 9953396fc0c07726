/**
 * Resolves the CloudFormation intrinsics of synthesized templates to concrete values for a made-up account, so
 * policies can be evaluated offline. Covers what Berth's templates use: Ref, Fn::GetAtt, Fn::Join, Fn::Select,
 * Fn::Split, Fn::Sub (simple), Fn::GetStackOutput (weak cross-stack references) and pseudo parameters. A value
 * it cannot resolve becomes a string that matches no real ARN, so an error here denies rather than allows.
 */

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';

type Json = unknown;
type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, Json> }>;
  Outputs?: Record<string, { Value: Json }>;
  Parameters?: Record<string, { Default?: string }>;
};

export class TemplateResolver {
  constructor(private readonly templates: Readonly<Record<string, Template>>) {}

  resolve(stack: string, value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, Json>);
    if (entries.length !== 1 || !(entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
    }
    const [fn, arg] = entries[0];
    switch (fn) {
      case 'Ref':
        return this.ref(stack, arg as string);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? (arg as string[]) : (arg as string).split('.');
        return this.getAtt(stack, id, attr);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, Json[]];
        return (this.resolve(stack, parts) as Json[]).map(String).join(sep);
      }
      case 'Fn::Select': {
        const [i, list] = arg as [number, Json];
        return (this.resolve(stack, list) as Json[])[Number(i)];
      }
      case 'Fn::Split': {
        const [sep, s] = arg as [string, Json];
        return String(this.resolve(stack, s)).split(sep);
      }
      case 'Fn::Sub': {
        const text = Array.isArray(arg) ? (arg[0] as string) : (arg as string);
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
          String(
            name.includes('.')
              ? this.getAtt(stack, ...(name.split('.') as [string, string]))
              : this.ref(stack, name),
          ),
        );
      }
      case 'Fn::GetStackOutput': {
        const { StackName, OutputName } = arg as { StackName: string; OutputName: string };
        const output = this.templates[StackName]?.Outputs?.[OutputName];
        return output
          ? this.resolve(StackName, output.Value)
          : `unresolved-output:${StackName}:${OutputName}`;
      }
      case 'Fn::ImportValue':
        return `unresolved-import:${JSON.stringify(arg)}`;
      default:
        return `unresolved-${fn}`;
    }
  }

  private ref(stack: string, id: string): Json {
    switch (id) {
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Region':
        return REGION;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack;
      case 'AWS::StackId':
        return stackId(stack);
    }
    const t = this.templates[stack];
    const param = t.Parameters?.[id];
    if (param) return param.Default ?? `param-${id}`;
    const r = t.Resources[id];
    if (!r) return `unresolved-ref:${stack}:${id}`;
    const p = r.Properties ?? {};
    const name = (key: string, fallback: string) =>
      p[key] !== undefined ? this.resolve(stack, p[key]) : fallback;
    switch (r.Type) {
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name('Name', id)}-AbCdEf`;
      case 'AWS::ECR::Repository':
        return name('RepositoryName', id.toLowerCase());
      case 'AWS::S3::Bucket':
        return name('BucketName', `${stack}-${id}`.toLowerCase());
      case 'AWS::Logs::LogGroup':
        return name('LogGroupName', `${stack}-${id}`);
      case 'AWS::IAM::Role':
        return name('RoleName', `${stack}-${id}`);
      case 'AWS::ECS::Cluster':
        return name('ClusterName', `${stack}-${id}`);
      case 'AWS::ECS::Service':
        return `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${this.resolve(stack, p.Cluster)}/${name('ServiceName', id)}`;
      case 'AWS::ECS::TaskDefinition':
        return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${stack}${id}:1`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${name('TopicName', id)}`;
      case 'AWS::KMS::Key':
        return `key-${id}`;
      case 'AWS::CodeBuild::Project':
        return name('Name', id);
      case 'AWS::CodePipeline::Pipeline':
        return name('Name', id);
      case 'AWS::SSM::Parameter':
        return name('Name', id);
      default:
        return `${stack}-${id}`;
    }
  }

  private getAtt(stack: string, id: string, attr: string): Json {
    const r = this.templates[stack].Resources[id];
    if (!r) return `unresolved-getatt:${stack}:${id}.${attr}`;
    const ref = String(this.ref(stack, id));
    const p = r.Properties ?? {};
    if (attr === 'Arn') {
      switch (r.Type) {
        case 'AWS::ECR::Repository':
          return `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${ref}`;
        case 'AWS::S3::Bucket':
          return `arn:aws:s3:::${ref}`;
        case 'AWS::Logs::LogGroup':
          return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${ref}:*`;
        case 'AWS::IAM::Role':
          return `arn:aws:iam::${ACCOUNT}:role/${ref}`;
        case 'AWS::KMS::Key':
          return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${ref}`;
        case 'AWS::CodeBuild::Project':
          return `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${ref}`;
        case 'AWS::ECS::Cluster':
          return `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${ref}`;
        case 'AWS::SQS::Queue':
          return `arn:aws:sqs:${REGION}:${ACCOUNT}:${stack}-${id}`;
        case 'AWS::Lambda::Function':
          return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${ref}`;
        default:
          return `arn:aws:unknown:${REGION}:${ACCOUNT}:${stack}-${id}`;
      }
    }
    if (attr === 'RepositoryUri') return `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${ref}`;
    if (attr === 'Name') return p.ServiceName !== undefined ? this.resolve(stack, p.ServiceName) : ref;
    return `${stack}-${id}-${attr}`;
  }
}

/** The made-up id of a stack, as CloudFormation's ARN for it (`stack/<name>/<uuid>`). */
export function stackId(stack: string): string {
  return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stack}/0d0e0a0d-0000-0000-0000-000000000000`;
}
