import type * as logs from 'aws-cdk-lib/aws-logs';

/** The config's retention in days as the CDK enum; the schema already allows only CloudWatch's values. */
export function retentionDays(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}
