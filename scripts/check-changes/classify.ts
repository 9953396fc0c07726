/**
 * What CloudFormation would do with a change, from the templates before and after: which stacks come and go,
 * which resources are added, removed, replaced or updated, and what that means for running services. Replacement
 * follows the CloudFormation resource reference ("Update requires: Replacement") for the properties Berth's
 * templates set; a resource whose logical id changes is replaced too.
 */

type Resource = { Type: string; Properties?: Record<string, unknown> };
export type Templates = Record<string, { Resources: Record<string, Resource> }>;

/** Effects, least to most disruptive (except `refused`, which the config check decides). */
export const EFFECTS = [
  'no change',
  'in place',
  'rolling',
  'instance refresh',
  'new stacks',
  'replacement',
  'steps',
  'refused',
] as const;
export type Effect = (typeof EFFECTS)[number];

/** Properties whose change replaces the resource (CloudFormation resource reference). `*`: any change. */
const REPLACED_BY: Readonly<Record<string, readonly string[]>> = {
  'AWS::EC2::VPC': ['CidrBlock'],
  'AWS::EC2::Subnet': ['CidrBlock', 'AvailabilityZone', 'AvailabilityZoneId', 'VpcId'],
  'AWS::EC2::NatGateway': ['SubnetId', 'AllocationId'],
  'AWS::EC2::SecurityGroup': ['GroupDescription', 'GroupName', 'VpcId'],
  'AWS::ECS::TaskDefinition': ['*'],
  'AWS::ECS::Cluster': ['ClusterName'],
  'AWS::ECS::Service': ['ServiceName', 'Cluster', 'LaunchType', 'SchedulingStrategy', 'Role'],
  'AWS::ElasticLoadBalancingV2::TargetGroup': ['Name', 'Port', 'Protocol', 'TargetType', 'VpcId'],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['Name', 'Scheme', 'Type'],
  'AWS::ECR::Repository': ['RepositoryName'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::SSM::Parameter': ['Name'],
  'AWS::Logs::LogGroup': ['LogGroupName', 'KmsKeyId'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::CodeBuild::Project': ['Name'],
  'AWS::CodePipeline::Pipeline': ['Name'],
  'AWS::DynamoDB::Table': ['TableName', 'KeySchema'],
  'AWS::ApiGatewayV2::VpcLink': ['SubnetIds', 'SecurityGroupIds'],
  'AWS::ApiGatewayV2::DomainName': ['DomainName'],
  'AWS::S3::Bucket': ['BucketName'],
};

/** Replacing these loses data, addresses or endpoints; the row must say "replacement". */
const STATEFUL = new Set([
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::NatGateway',
  'AWS::EC2::EIP',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ECS::Cluster',
  'AWS::ECR::Repository',
  'AWS::SecretsManager::Secret',
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::SSM::Parameter',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::VpcLink',
  'AWS::ApiGatewayV2::DomainName',
  'AWS::KMS::Key',
  'AWS::ECS::Service',
]);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

interface Change {
  readonly stack: string;
  readonly id: string;
  readonly type: string;
  readonly kind: 'added' | 'removed' | 'replaced' | 'updated';
  readonly properties: readonly string[];
}

function resourceChanges(before: Templates, after: Templates): Change[] {
  const changes: Change[] = [];
  for (const stack of Object.keys(after)) {
    const b = before[stack]?.Resources;
    if (!b) continue;
    const a = after[stack].Resources;
    const removedTypes = new Map<string, string>();
    for (const [id, r] of Object.entries(b)) if (!(id in a)) removedTypes.set(r.Type, id);
    for (const [id, r] of Object.entries(a)) {
      const old = b[id];
      if (!old) {
        changes.push({
          stack,
          id,
          type: r.Type,
          kind: removedTypes.has(r.Type) ? 'replaced' : 'added',
          properties: [],
        });
        continue;
      }
      const keys = new Set([...Object.keys(old.Properties ?? {}), ...Object.keys(r.Properties ?? {})]);
      const changed = [...keys].filter((k) => !same(old.Properties?.[k], r.Properties?.[k]));
      const otherAttributes = !same({ ...old, Properties: undefined }, { ...r, Properties: undefined });
      if (changed.length === 0 && !otherAttributes) continue;
      const triggers = REPLACED_BY[r.Type] ?? [];
      const replaced = changed.some((k) => triggers.includes('*') || triggers.includes(k));
      changes.push({ stack, id, type: r.Type, kind: replaced ? 'replaced' : 'updated', properties: changed });
    }
    for (const [id, r] of Object.entries(b)) {
      if (
        !(id in a) &&
        !changes.some((c) => c.stack === stack && c.kind === 'replaced' && c.type === r.Type)
      ) {
        changes.push({ stack, id, type: r.Type, kind: 'removed', properties: [] });
      }
    }
  }
  return changes;
}

/** Listener rules of all stacks whose priorities were exchanged: ELB refuses the first update (PriorityInUse). */
function swappedPriorities(before: Templates, after: Templates): string[] {
  const priorities = (t: Templates) =>
    Object.entries(t).flatMap(([stack, s]) =>
      Object.entries(s.Resources)
        .filter(([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule')
        .map(([id, r]) => ({ key: `${stack}/${id}`, priority: r.Properties?.Priority as number })),
    );
  const b = priorities(before);
  const a = priorities(after);
  return a
    .filter((r) => {
      const old = b.find((x) => x.key === r.key);
      return (
        old && old.priority !== r.priority && b.some((x) => x.key !== r.key && x.priority === r.priority)
      );
    })
    .map((r) => r.key);
}

export function classifyChange(before: Templates, after: Templates): { effect: Effect; detail: string } {
  const gone = Object.keys(before).filter((s) => !(s in after));
  const added = Object.keys(after).filter((s) => !(s in before));
  if (gone.length > 0 && added.length === 0)
    return { effect: 'steps', detail: `stacks no longer in the app: ${gone.join(', ')}` };
  if (added.length > 0 && gone.length > 0)
    return { effect: 'new stacks', detail: `new stacks ${added.join(', ')}; old ${gone.join(', ')}` };
  const swapped = swappedPriorities(before, after);
  if (swapped.length > 0)
    return { effect: 'steps', detail: `listener rule priorities exchanged: ${swapped.join(', ')}` };
  if (added.length > 0) return { effect: 'new stacks', detail: `new stacks ${added.join(', ')}` };

  const changes = resourceChanges(before, after);
  const describe = (cs: Change[]) =>
    cs
      .map(
        (c) =>
          `${c.kind} ${c.stack}/${c.id} (${c.type}${c.properties.length ? `: ${c.properties.join(', ')}` : ''})`,
      )
      .join('; ');
  if (changes.length === 0) return { effect: 'no change', detail: 'identical templates' };
  const replacedStateful = changes.filter(
    (c) => (c.kind === 'replaced' || c.kind === 'removed') && STATEFUL.has(c.type),
  );
  if (replacedStateful.length > 0) return { effect: 'replacement', detail: describe(replacedStateful) };
  // A new path or health-check path takes effect on the running tasks at once (the rule or the target group is
  // updated in place), so the released image must serve it before the change: steps.
  const judgedAnew = changes.filter(
    (c) =>
      (c.type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && c.properties.includes('HealthCheckPath')) ||
      (c.type === 'AWS::ElasticLoadBalancingV2::ListenerRule' && c.properties.includes('Conditions')),
  );
  if (judgedAnew.length > 0) return { effect: 'steps', detail: describe(judgedAnew) };
  const hosts = changes.filter((c) => c.type === 'AWS::EC2::LaunchTemplate');
  if (hosts.length > 0) return { effect: 'instance refresh', detail: describe(hosts) };
  const rolling = changes.filter(
    (c) =>
      c.type === 'AWS::ECS::TaskDefinition' ||
      (c.type === 'AWS::ECS::Service' && c.properties.some((p) => p !== 'DeploymentConfiguration')) ||
      (c.type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && c.kind !== 'updated'),
  );
  if (rolling.length > 0) return { effect: 'rolling', detail: describe(rolling) };
  return { effect: 'in place', detail: describe(changes) };
}
