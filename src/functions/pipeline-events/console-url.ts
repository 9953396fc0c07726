/** The AWS console page of one pipeline execution (its timeline). */
export function consoleExecutionUrl(region: string, pipeline: string, executionId: string): string {
  const enc = encodeURIComponent;
  return (
    `https://${region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${enc(pipeline)}` +
    `/executions/${enc(executionId)}/timeline?region=${enc(region)}`
  );
}
