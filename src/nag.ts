import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag AwsSolutions findings on one construct (a role, its policy, a resource), with the reason a
 * reviewer reads. cdk-nag matches rules that report several findings (IAM4, IAM5) per finding, e.g.
 * `AwsSolutions-IAM5[Resource::*]`: each is listed by name, never a whole rule waved through.
 */
export function acknowledge(
  scope: IConstruct,
  rule: string,
  reason: string,
  findings: readonly string[] = [],
): void {
  const ids = findings.length === 0 ? [rule] : findings.map((f) => `${rule}[${f}]`);
  Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
}

/**
 * A resource ARN (maybe holding tokens) as cdk-nag names it in a finding: `Ref`s as `<Name>`, `Fn::GetAtt`s as
 * `<Resource.Attribute>`, joins flattened. Lets an acknowledgement name exactly the statement's resource without
 * hard-coding a generated logical id.
 */
export function nagResource(scope: IConstruct, value: string): string {
  return flatten(Stack.of(scope).resolve(value));
}

function flatten(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('Ref' in o) return `<${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(sep);
    }
  }
  return JSON.stringify(v);
}
