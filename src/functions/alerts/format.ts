import type { Alert, Severity } from './message';
import { truncate } from './text';

/**
 * An {@link Alert} as each chat service's incoming webhook takes it. Pure.
 *
 * Slack (incoming webhook): `{text, blocks}`: `text` is the notification's fallback line, `blocks` the message
 * (header, summary, facts as fields, titled sections, a button to the console). Slack's limits: a header holds 150
 * characters, a section 3000, a field 2000, a section at most 10 fields, a message 50 blocks; `&`, `<` and `>` are
 * escaped so no text can mention `@channel` or forge a link.
 *
 * Teams: a message with one Adaptive Card attachment (`{type: 'message', attachments: [{contentType:
 * 'application/vnd.microsoft.card.adaptive', content}]}`), the shape both Workflows (Power Automate) webhooks and
 * legacy Office 365 connectors accept; card version 1.4, full width; facts as a FactSet, the link as
 * Action.OpenUrl. A TextBlock's Markdown needs a blank line for a line break, so single line breaks are doubled.
 */

const MAX_SECTION_CHARS = 2800;
const MAX_SECTIONS = 20;

const ICONS: Readonly<Record<Severity, string>> = {
  alarm: '\u{1F534}', // red circle
  ok: '\u{2705}', // check mark
  insufficient: '\u{26AA}', // white circle
  failure: '\u{274C}', // cross mark
  info: '\u{2139}\u{FE0F}', // information
};

// ---------------------------------------------------------------------------------------------------------------
// Slack
// ---------------------------------------------------------------------------------------------------------------

export interface SlackText {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  readonly emoji?: boolean;
}

export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text?: SlackText; readonly fields?: readonly SlackText[] }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] }
  | {
      readonly type: 'actions';
      readonly elements: readonly { type: 'button'; text: SlackText; url: string }[];
    };

export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** Slack's three control characters, escaped as its docs ask (so `<!channel>` and `<url|label>` cannot be forged). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const mrkdwn = (text: string, max = MAX_SECTION_CHARS): SlackText => ({
  type: 'mrkdwn',
  text: truncate(text, max),
});

export function toSlack(alert: Alert): SlackMessage {
  const title = `${ICONS[alert.severity]} ${alert.title}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, 150), emoji: true } },
  ];
  if (alert.summary) blocks.push({ type: 'section', text: mrkdwn(slackEscape(alert.summary)) });
  for (let i = 0; i < alert.facts.length; i += 10) {
    blocks.push({
      type: 'section',
      fields: alert.facts
        .slice(i, i + 10)
        .map((f) => mrkdwn(`*${slackEscape(f.name)}*\n${slackEscape(f.value)}`, 1900)),
    });
  }
  for (const s of alert.sections.slice(0, MAX_SECTIONS)) {
    const heading = s.title ? `*${slackEscape(s.title)}*\n` : '';
    blocks.push({ type: 'section', text: mrkdwn(`${heading}${slackEscape(s.text)}`) });
  }
  if (alert.link) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: truncate(alert.link.title, 75) },
          url: alert.link.url,
        },
      ],
    });
  }
  return { text: truncate(slackEscape(title), 3000), blocks: blocks.slice(0, 50) };
}

// ---------------------------------------------------------------------------------------------------------------
// Teams
// ---------------------------------------------------------------------------------------------------------------

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export type AdaptiveElement =
  | {
      readonly type: 'TextBlock';
      readonly text: string;
      readonly wrap: true;
      readonly weight?: 'Bolder';
      readonly size?: 'Medium' | 'Large';
      readonly color?: 'Attention' | 'Good' | 'Warning' | 'Accent';
      readonly spacing?: 'Medium';
      readonly isSubtle?: boolean;
    }
  | { readonly type: 'FactSet'; readonly facts: readonly { title: string; value: string }[] };

export interface AdaptiveCard {
  readonly $schema: string;
  readonly type: 'AdaptiveCard';
  readonly version: '1.4';
  readonly body: readonly AdaptiveElement[];
  readonly actions: readonly { type: 'Action.OpenUrl'; title: string; url: string }[];
  readonly msteams: { readonly width: 'Full' };
}

export interface TeamsMessage {
  readonly type: 'message';
  readonly summary: string;
  readonly attachments: readonly {
    readonly contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
    readonly contentUrl: null;
    readonly content: AdaptiveCard;
  }[];
}

const COLORS: Readonly<Record<Severity, 'Attention' | 'Good' | 'Warning' | 'Accent'>> = {
  alarm: 'Attention',
  failure: 'Attention',
  ok: 'Good',
  insufficient: 'Warning',
  info: 'Accent',
};

/** Markdown of a TextBlock: a single line break would be lost, so every line is its own paragraph. */
function paragraphs(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .join('\n\n');
}

const block = (text: string, extra: Partial<Extract<AdaptiveElement, { type: 'TextBlock' }>> = {}) =>
  ({ type: 'TextBlock', text: truncate(text, MAX_SECTION_CHARS), wrap: true, ...extra }) as const;

export function toTeams(alert: Alert): TeamsMessage {
  const title = `${ICONS[alert.severity]} ${alert.title}`;
  const body: AdaptiveElement[] = [
    block(title, { weight: 'Bolder', size: 'Medium', color: COLORS[alert.severity] }),
  ];
  if (alert.summary) body.push(block(paragraphs(alert.summary)));
  if (alert.facts.length > 0) {
    body.push({
      type: 'FactSet',
      facts: alert.facts.map((f) => ({ title: truncate(f.name, 80), value: truncate(f.value, 1000) })),
    });
  }
  for (const s of alert.sections.slice(0, MAX_SECTIONS)) {
    if (s.title) body.push(block(s.title, { weight: 'Bolder', spacing: 'Medium' }));
    body.push(block(paragraphs(s.text), s.title ? {} : { spacing: 'Medium' }));
  }
  return {
    type: 'message',
    summary: truncate(title, 200),
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions: alert.link
            ? [{ type: 'Action.OpenUrl', title: truncate(alert.link.title, 60), url: alert.link.url }]
            : [],
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}

/** The body to post for a channel type. */
export function formatFor(type: 'slack' | 'teams', alert: Alert): SlackMessage | TeamsMessage {
  return type === 'slack' ? toSlack(alert) : toTeams(alert);
}
