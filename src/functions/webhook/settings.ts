import * as z from 'zod/mini';
import {
  WEBHOOK_PROJECTS_ENV,
  WEBHOOK_STATE_TABLE_ENV,
  type WebhookProjectSettings,
  type WebhookProjects,
} from '../../contracts';

/**
 * What the webhook knows about each project, passed by the CDK side as JSON in one environment variable and
 * validated once per cold start, and the name of its push-order table. zod/mini keeps the bundle small; the names
 * and the shape are the contracts' (src/contracts.ts), re-exported here for the function's own modules.
 */

export { WEBHOOK_PROJECTS_ENV, WEBHOOK_STATE_TABLE_ENV, type WebhookProjectSettings, type WebhookProjects };

export type SettingsResult =
  | {
      readonly ok: true;
      readonly projects: ReadonlyMap<string, WebhookProjectSettings>;
      /** The DynamoDB table of the highest push started per project and branch. */
      readonly stateTable?: string;
    }
  | { readonly ok: false; readonly error: string };

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

const projectSchema = z.object({
  // CodePipeline names: [A-Za-z0-9.@_-]{1,100}.
  pipelineName: z.string().check(z.regex(/^[A-Za-z0-9.@_-]{1,100}$/)),
  secretId: text(2048),
  repository: z.object({
    project: text(256),
    name: text(256),
    id: z.optional(
      z
        .string()
        .check(z.regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/)),
    ),
  }),
  branch: text(250),
});

const projectsSchema = z.record(z.string().check(z.minLength(1)), projectSchema);

/** DynamoDB table names: 3 to 255 of [a-zA-Z0-9_.-]. */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

const BRANCH_PREFIX = 'refs/heads/';

/** The short branch name: `refs/heads/main` -> `main`. */
export function shortBranchName(ref: string): string {
  return ref.startsWith(BRANCH_PREFIX) ? ref.slice(BRANCH_PREFIX.length) : ref;
}

/**
 * Parses and validates the projects variable's value. Never throws: a missing or malformed value is returned as an
 * error the handler logs and answers with 503 (Azure DevOps retries 503, so a fixed deploy catches up).
 */
export function loadSettings(raw: string | undefined): SettingsResult {
  if (raw === undefined || raw.trim() === '') {
    return { ok: false, error: `${WEBHOOK_PROJECTS_ENV} is not set` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: `${WEBHOOK_PROJECTS_ENV} is not valid JSON` };
  }
  const parsed = projectsSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
    );
    return { ok: false, error: `${WEBHOOK_PROJECTS_ENV} is invalid: ${problems.join('; ')}` };
  }
  const projects = new Map<string, WebhookProjectSettings>();
  for (const [service, p] of Object.entries(parsed.data)) {
    const branch = shortBranchName(p.branch);
    if (branch === '')
      return { ok: false, error: `${WEBHOOK_PROJECTS_ENV} is invalid: ${service}.branch: empty` };
    projects.set(service, {
      pipelineName: p.pipelineName,
      secretId: p.secretId,
      repository: {
        project: p.repository.project,
        name: p.repository.name,
        ...(p.repository.id === undefined ? {} : { id: p.repository.id.toLowerCase() }),
      },
      branch,
    });
  }
  return { ok: true, projects };
}

/** The function's whole environment: the projects and the push-order table, both required. */
export function loadWebhookEnvironment(env: Readonly<Record<string, string | undefined>>): SettingsResult {
  const settings = loadSettings(env[WEBHOOK_PROJECTS_ENV]);
  if (!settings.ok) return settings;
  const table = env[WEBHOOK_STATE_TABLE_ENV]?.trim();
  if (table === undefined || table === '') {
    return { ok: false, error: `${WEBHOOK_STATE_TABLE_ENV} is not set` };
  }
  if (!TABLE_NAME.test(table)) {
    return { ok: false, error: `${WEBHOOK_STATE_TABLE_ENV} is not a DynamoDB table name` };
  }
  return { ...settings, stateTable: table };
}
