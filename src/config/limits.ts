/** Hard AWS limits that config validation enforces before anything is synthesized. */

/** Rules per ALB listener (excluding the default) and target groups per ALB: one of each per project. */
export const ALB_MAX_RULES = 100;

/**
 * `<prefix>-<project>` names the project's pipeline, CodeBuild projects, alarms and ECS service. 32 characters
 * keeps the longest derived name (`<prefix>-<project>-checkout` style CodeBuild and role names) inside every
 * AWS limit with room, and matches the ALB target-group name limit.
 */
export const MAX_QUALIFIED_NAME_LENGTH = 32;

/** CloudFormation's hard limit per stack; tests keep every stack far below it. */
export const CFN_MAX_RESOURCES = 500;
