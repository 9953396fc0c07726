import { describe, expect, it } from 'vitest';
import { webhookUrlFor } from '../../src/cli/commands/connect';
import { Output } from '../../src/cli/output';
import { patProblem, stripOneNewline } from '../../src/cli/prompt';

describe('webhookUrlFor', () => {
  it.each([
    [
      'https://abc.execute-api.us-east-1.amazonaws.com/',
      'https://abc.execute-api.us-east-1.amazonaws.com/webhook/p',
    ],
    ['https://api.example.com', 'https://api.example.com/webhook/p'],
    ['https://api.example.com//', 'https://api.example.com/webhook/p'],
  ])('given ApiUrl %s, when joining /webhook/p, then the URL is %s', (api, expected) => {
    expect(webhookUrlFor(api, '/webhook/p')).toBe(expected);
  });
});

describe('PAT input', () => {
  it('given text with line ends, when stripping, then exactly one trailing line end goes', () => {
    expect(stripOneNewline('a\n')).toBe('a');
    expect(stripOneNewline('a\r\n')).toBe('a');
    expect(stripOneNewline('a\n\n')).toBe('a\n');
    expect(stripOneNewline('a')).toBe('a');
  });

  it('given empty or spaced values, when checking, then each gets a sentence; a plain token passes', () => {
    expect(patProblem('', 'stdin')).toMatch(/^The PAT from stdin is empty: /);
    expect(patProblem('a\tb', 'stdin')).toMatch(/^The PAT from stdin contains whitespace: /);
    expect(patProblem('abcDEF123', 'stdin')).toBeUndefined();
  });
});

describe('Output', () => {
  const streams = (tty: boolean) => {
    let out = '';
    let err = '';
    return {
      io: {
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: (s: string) => (err += s), isTTY: tty },
      },
      out: () => out,
      err: () => err,
    };
  };

  it('given a registered secret, when any text holding it or its Basic encoding is written, then it is replaced by ***', () => {
    const s = streams(false);
    const o = new Output(s.io, false);
    o.addSecret('s3cret-value');

    o.result(`token s3cret-value and ${Buffer.from(':s3cret-value').toString('base64')}`, {});
    o.warn('again s3cret-value');

    expect(s.out()).toBe('token *** and ***\n');
    expect(s.err()).toBe('Warning: again ***\n');
  });

  it('given a very short secret, when registering it, then ordinary words are not blanked out', () => {
    const s = streams(false);
    const o = new Output(s.io, false);
    o.addSecret('a');

    o.result('a cat', {});

    expect(s.out()).toBe('a cat\n');
  });

  it('given --json, when a result is written, then stdout is the data as JSON and nothing else', () => {
    const s = streams(false);
    new Output(s.io, true).result('human text', { a: 1 });

    expect(JSON.parse(s.out())).toEqual({ a: 1 });
  });

  it('given stderr is not a terminal, when progress runs, then nothing is written', async () => {
    const s = streams(false);
    await new Output(s.io, false).withProgress('Working', async () => 1);

    expect(s.err()).toBe('');
  });

  it('given stderr is a terminal, when progress runs and ends, then the line is drawn and cleared', async () => {
    const s = streams(true);
    await new Output(s.io, false).withProgress('Working', async (p) => p.update('Still working'));

    expect(s.err()).toContain('Working');
    expect(s.err()).toContain('Still working');
    expect(s.err().endsWith('\r\x1b[2K')).toBe(true);
  });
});
