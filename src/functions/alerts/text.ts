/** Text helpers of the alerts function: the shared ones (src/shared/text.ts). */
export { describeError, oneLine, redact, truncate } from '../../shared/text';
