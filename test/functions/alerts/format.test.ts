import { describe, expect, it } from 'vitest';
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  slackEscape,
  toSlack,
  toTeams,
  type SlackBlock,
} from '../../../src/functions/alerts/format';
import { parseAlarmDescription, readMessage, type Alert } from '../../../src/functions/alerts/message';
import { alarmDescription } from '../../../src/monitoring/berth-alarm';
import { ALARM_MESSAGE, ALARM_SUBJECT, FAILURE } from './fixtures';

const alarm = (changes: Record<string, unknown> = {}) =>
  readMessage(
    { Subject: ALARM_SUBJECT, Message: JSON.stringify({ ...ALARM_MESSAGE, ...changes }) },
    'eu-west-1',
  );
const failure = () => readMessage({ Subject: FAILURE.subject, Message: FAILURE.message });

const EXECUTION_URL =
  'https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/berth-cash-collection/executions/3c1f0e2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b/timeline?region=us-east-1';
const ALARM_URL =
  'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/berth-cash-collection-target-5xx';

const slackText = (blocks: readonly SlackBlock[]) => JSON.stringify(blocks);
const card = (a: Alert) => toTeams(a).attachments[0].content;

describe('reading a CloudWatch alarm notification', () => {
  it('given an alarm that fired, when read, then the title says ALARM and names the alarm', () => {
    const a = alarm();

    expect(a.severity).toBe('alarm');
    expect(a.title).toBe('ALARM: berth-cash-collection-target-5xx');
  });

  it("given Berth's description, when read, then meaning, first check, tune and runbook are separate and the platform generation is left out", () => {
    const a = alarm();

    expect(a.summary).toBe(
      'cash-collection answered more than 5 requests per minute with a 5xx in 2 of the last 3 minutes; during a deployment this rolls the service back.',
    );
    expect(a.sections.map((s) => s.title)).toEqual(['Why', 'First check', 'Tune', 'Runbook']);
    expect(a.sections[3].text).toBe('docs/operations.md#target-5xx');
    expect(JSON.stringify(a)).not.toContain('1a2b3c4d');
    expect(JSON.stringify(a)).not.toContain('Platform generation');
  });

  it('given the state change, when read, then the facts say from which state, since when and where', () => {
    expect(alarm().facts).toEqual([
      { name: 'State', value: 'OK -> ALARM' },
      { name: 'Since', value: '2025-06-01T10:05:31.907+0000' },
      { name: 'Account', value: '111122223333 (us-east-1)' },
    ]);
    expect(alarm().sections[0]).toEqual({ title: 'Why', text: ALARM_MESSAGE.NewStateReason });
  });

  it("given the Region display name, when read, then the console link takes the region from the alarm's ARN", () => {
    expect(alarm().link).toEqual({ title: 'Open the alarm in the AWS console', url: ALARM_URL });
  });

  it("given an alarm ARN without a region, when read, then the link uses the function's region", () => {
    expect(alarm({ AlarmArn: undefined }).link?.url).toContain('https://eu-west-1.console.aws.amazon.com/');
  });

  it('given an alarm name with special characters, when read, then the link encodes it', () => {
    expect(alarm({ AlarmName: 'a b/c#d' }).link?.url).toMatch(/#alarmsV2:alarm\/a%20b%2Fc%23d$/);
  });

  it('given an alarm back to OK, when read, then the title says resolved', () => {
    const a = alarm({ NewStateValue: 'OK', OldStateValue: 'ALARM' });

    expect(a.severity).toBe('ok');
    expect(a.title).toBe('OK (resolved): berth-cash-collection-target-5xx');
    expect(a.facts[0]).toEqual({ name: 'State', value: 'ALARM -> OK' });
  });

  it('given a description not written by Berth, when read, then all of it is the summary', () => {
    expect(parseAlarmDescription('Someone else wrote this.')).toEqual({
      meaning: 'Someone else wrote this.',
    });
  });

  it('given a description without a platform generation, when parsed, then its parts are still found', () => {
    const d = alarmDescription({ meaning: 'It broke.', firstCheck: 'the logs.', runbook: 'x-y' });

    expect(parseAlarmDescription(d)).toEqual({
      meaning: 'It broke.',
      firstCheck: 'the logs.',
      tune: 'the default in src/monitoring/thresholds.ts (not set per project)',
      runbook: 'docs/operations.md#x-y',
    });
  });
});

describe('reading a failed release (the pipeline-events message)', () => {
  it('given the failure message, when read, then its subject is the title and its first line the summary', () => {
    const a = failure();

    expect(a.severity).toBe('failure');
    expect(a.title).toBe('Berth: cash-collection pipeline failed at Build');
    expect(a.summary).toBe('The cash-collection pipeline failed at stage Build.');
  });

  it('given its Label: value rows, when read, then they become facts', () => {
    const facts = Object.fromEntries(failure().facts.map((f) => [f.name, f.value]));

    expect(facts).toMatchObject({
      Project: 'cash-collection',
      Pipeline: 'berth-cash-collection',
      Stage: 'Build',
      Action: 'Build-amd64',
      Commit: '1a2b3c4 (1a2b3c4d5e6f708192a3b4c5d6e7f80910111213)',
      Branch: 'main',
      Repository: 'Finance/cash-collection',
      Account: '111122223333 (us-east-1)',
    });
  });

  it('given "What failed:", when read, then it is a titled section with the cause', () => {
    expect(failure().sections).toContainEqual({
      title: 'What failed',
      text: 'npm ERR! Test failed. See above for more details.',
    });
  });

  it('given the console link at the end, when read, then it is the link to act on', () => {
    expect(failure().link).toEqual({ title: 'Open the execution in the AWS console', url: EXECUTION_URL });
  });

  it('given a plain message without a subject, when read, then its first line is the title', () => {
    const a = readMessage({ Message: 'Something happened.\n\nDetails here.' });

    expect(a.title).toBe('Something happened.');
    expect(a.severity).toBe('info');
  });
});

describe('reading a manual approval request', () => {
  it('given CodePipeline approval JSON, when read, then it says what waits and links the review, without the token', () => {
    const a = readMessage({
      Subject: 'APPROVAL NEEDED: AWS CodePipeline berth-cash-collection for action Approve',
      Message: JSON.stringify({
        region: 'us-east-1',
        consoleLink:
          'https://console.aws.amazon.com/codepipeline/home?region=us-east-1#/view/berth-cash-collection',
        approval: {
          pipelineName: 'berth-cash-collection',
          stageName: 'Approve',
          actionName: 'Approve',
          token: 'approval-token-0f9e8d7c',
          expires: '2025-06-08T10:00Z',
          approvalReviewLink:
            'https://console.aws.amazon.com/codepipeline/home?region=us-east-1#/view/x/Approve/Approve/approve/abc',
        },
      }),
    });

    expect(a.title).toBe('APPROVAL NEEDED: AWS CodePipeline berth-cash-collection for action Approve');
    expect(a.facts).toContainEqual({ name: 'Stage', value: 'Approve' });
    expect(a.link?.url).toMatch(/\/approve\/abc$/);
    expect(JSON.stringify(a)).not.toContain('approval-token-0f9e8d7c');
  });
});

describe('Slack: {text, blocks}', () => {
  it('given an alarm, when formatted, then the fallback text and the header name it with a red mark', () => {
    const m = toSlack(alarm());

    expect(m.text).toBe('\u{1F534} ALARM: berth-cash-collection-target-5xx');
    expect(m.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '\u{1F534} ALARM: berth-cash-collection-target-5xx', emoji: true },
    });
  });

  it('given an alarm, when formatted, then the meaning, the facts as fields, the first check and a console button follow', () => {
    const m = toSlack(alarm());

    expect(m.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: alarm().summary } });
    expect(m.blocks[2]).toEqual({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*State*\nOK -&gt; ALARM' },
        { type: 'mrkdwn', text: '*Since*\n2025-06-01T10:05:31.907+0000' },
        { type: 'mrkdwn', text: '*Account*\n111122223333 (us-east-1)' },
      ],
    });
    expect(slackText(m.blocks)).toContain('*First check*\\n');
    expect(m.blocks[m.blocks.length - 1]).toEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open the alarm in the AWS console' },
          url: ALARM_URL,
        },
      ],
    });
  });

  it('given a failed release, when formatted, then it carries the headline, the facts, the cause and the execution button', () => {
    const m = toSlack(failure());

    expect(m.text).toBe('\u{274C} Berth: cash-collection pipeline failed at Build');
    const text = slackText(m.blocks);
    expect(text).toContain('The cash-collection pipeline failed at stage Build.');
    expect(text).toContain('*Commit*\\n1a2b3c4 (1a2b3c4d5e6f708192a3b4c5d6e7f80910111213)');
    expect(text).toContain('*What failed*\\nnpm ERR! Test failed.');
    expect(m.blocks[m.blocks.length - 1]).toMatchObject({
      type: 'actions',
      elements: [{ url: EXECUTION_URL }],
    });
  });

  it('given text that tries to mention @channel or forge a link, when formatted, then it is escaped', () => {
    const m = toSlack(alarm({ AlarmDescription: 'Wake <!channel> & see <https://evil.example|the docs>' }));

    expect(slackText(m.blocks)).toContain(
      'Wake &lt;!channel&gt; &amp; see &lt;https://evil.example|the docs&gt;',
    );
    expect(slackText(m.blocks)).not.toContain('<!channel>');
    expect(slackEscape('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it("given very long texts, when formatted, then every block stays within Slack's limits", () => {
    const long = 'x'.repeat(10_000);
    const m = toSlack(alarm({ AlarmName: long, NewStateReason: long, AlarmDescription: long }));

    expect((m.blocks[0] as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(150);
    for (const b of m.blocks) {
      if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      if (b.type === 'section' && b.fields)
        for (const f of b.fields) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    expect(m.blocks.length).toBeLessThanOrEqual(50);
  });
});

describe('Teams: a message with one Adaptive Card', () => {
  it('given an alarm, when formatted, then it is a message with one Adaptive Card attachment', () => {
    const m = toTeams(alarm());

    expect(m.type).toBe('message');
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0].contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
    expect(m.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(m.attachments[0].content).toMatchObject({
      type: 'AdaptiveCard',
      version: '1.4',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    });
  });

  it('given an alarm, when formatted, then the title is bold and red, the facts a FactSet and the link an OpenUrl action', () => {
    const c = card(alarm());

    expect(c.body[0]).toEqual({
      type: 'TextBlock',
      text: '\u{1F534} ALARM: berth-cash-collection-target-5xx',
      wrap: true,
      weight: 'Bolder',
      size: 'Medium',
      color: 'Attention',
    });
    expect(c.body).toContainEqual({
      type: 'FactSet',
      facts: [
        { title: 'State', value: 'OK -> ALARM' },
        { title: 'Since', value: '2025-06-01T10:05:31.907+0000' },
        { title: 'Account', value: '111122223333 (us-east-1)' },
      ],
    });
    expect(c.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open the alarm in the AWS console', url: ALARM_URL },
    ]);
  });

  it('given an alarm back to OK, when formatted, then the title is green', () => {
    expect(card(alarm({ NewStateValue: 'OK' })).body[0]).toMatchObject({ color: 'Good' });
  });

  it('given a failed release, when formatted, then facts, the cause and the execution link are on the card', () => {
    const c = card(failure());
    const text = JSON.stringify(c.body);

    expect(c.body[0]).toMatchObject({
      text: '\u{274C} Berth: cash-collection pipeline failed at Build',
      color: 'Attention',
    });
    expect(c.body).toContainEqual(
      expect.objectContaining({
        type: 'FactSet',
        facts: expect.arrayContaining([
          { title: 'Stage', value: 'Build' },
          { title: 'Branch', value: 'main' },
        ]),
      }),
    );
    expect(text).toContain('npm ERR! Test failed.');
    expect(c.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open the execution in the AWS console', url: EXECUTION_URL },
    ]);
  });

  it('given a multi-line section, when formatted, then each line is its own Markdown paragraph (a single line break would be lost)', () => {
    const c = card(readMessage({ Subject: 's', Message: 'Head.\n\nDetails:\nline one\nline two' }));

    expect(c.body).toContainEqual(
      expect.objectContaining({ type: 'TextBlock', text: 'line one\n\nline two' }),
    );
  });
});
