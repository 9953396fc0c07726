import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag AwsSolutions findings on a construct and its children, with the reason a reviewer reads.
 * cdk-nag matches rules that report several findings (IAM4, IAM5) per finding: `AwsSolutions-IAM5[Resource::*]`,
 * so those are listed one by one rather than waved through as a whole rule.
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
