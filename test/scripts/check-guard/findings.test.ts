import { describe, expect, it } from 'vitest';
import {
  findingsOf,
  matchFindings,
  pathPattern,
  type Acknowledgement,
} from '../../../scripts/check-guard/findings';

/** Two documents as cfn-guard writes them with `-o json`: concatenated, pretty-printed, braces inside strings. */
const OUTPUT = `{
  "name": "t.json",
  "status": "FAIL",
  "not_compliant": [
    { "Rule": { "name": "s3_bucket_logging_enabled_check", "checks": [
      { "Clause": { "Unary": { "check": { "message": "a } in {text", "path": "/Resources/BucketA1B2/Properties" } } } }
    ] } }
  ],
  "not_applicable": [],
  "compliant": []
}{
  "name": "t.json",
  "status": "PASS",
  "not_compliant": [],
  "not_applicable": ["sqs_dlq_check"],
  "compliant": []
}`;

describe('cfn-guard findings', () => {
  it('given concatenated JSON documents, when parsed, then each failed rule becomes one finding per resource, named by construct path', () => {
    const paths: Record<string, string> = { BucketA1B2: 'berth-x/Artifacts/Bucket/Resource' };
    expect(findingsOf('berth-x', OUTPUT, (id) => paths[id])).toEqual([
      { rule: 's3_bucket_logging_enabled_check', resource: 'berth-x/Artifacts/Bucket/Resource' },
    ]);
  });

  it('given a pattern, when matched, then * stays within one path segment', () => {
    expect(pathPattern('*/Release/*/Logs/Resource').test('berth-cash/Release/Scan/Logs/Resource')).toBe(true);
    expect(pathPattern('*/Release/*/Logs/Resource').test('berth-cash/Release/Scan/Extra/Logs/Resource')).toBe(
      false,
    );
    expect(
      pathPattern('*/Api/Api/ANY--api--{proxy+}/Resource').test('p/Api/Api/ANY--api--{proxy+}/Resource'),
    ).toBe(true);
  });

  it('given acknowledgements, when matched, then unacknowledged findings and stale acknowledgements are both reported', () => {
    const acks: Acknowledgement[] = [
      { rule: 'r1', resources: ['*/A/Resource'], reason: 'why' },
      { rule: 'r2', resources: ['*/B/Resource'], reason: 'no longer needed' },
    ];
    const result = matchFindings(
      [
        { rule: 'r1', resource: 's/A/Resource' },
        { rule: 'r1', resource: 's/C/Resource' },
      ],
      acks,
    );
    expect(result.acknowledged).toEqual([{ rule: 'r1', resource: 's/A/Resource' }]);
    expect(result.unacknowledged).toEqual([{ rule: 'r1', resource: 's/C/Resource' }]);
    expect(result.unused).toEqual([acks[1]]);
  });
});
