/** Text helpers of the notification and the commit status: the shared ones (src/shared/text.ts). */
export { describeError, isCommitId, oneLine, redact, shortCommit, truncate } from '../../shared/text';
