/**
 * Text from the logs on a terminal and in the SNS alert: keys, upload ids,
 * error codes and reasons are shown with their invisible characters
 * escaped, so a logged request cannot send escape sequences to an
 * operator's terminal or forge lines in an alert, and the command an alert
 * suggests runs nothing but the lookup.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertMessage } from '../../adapters/sns/alert-publisher.ts';
import { digestSummary } from '../../cli/digest-summary.ts';
import { statusBlock, statusTable } from '../../cli/render.ts';
import { UploadStatus as S } from '../../core/model/status.ts';
import { shellQuote } from '../../core/report/escape.ts';
import { anyText, UNSAFE } from '../support/hostile-text.ts';
import { hostileReport, key, upload } from '../support/report.ts';

const ESC = '\u001b';
/** An SGR colour, an OSC window title, the 8-bit CSI, a bidi override. */
const ATTACK = `\u001b[31mPWN\u001b[0m\u001b]0;title\u0007\u009b2J\u202e`;

function hostileRecord(text: string) {
  return key(`recordings/${text}.tar`, [
    upload(S.FAILED, {
      uploadId: `${text}${'x'.repeat(30)}`,
      errorCodes: [text],
      failedParts: [3],
    }),
  ]);
}

describe('terminal output of log text', () => {
  it('shows an escape-sequence attack as visible text', () => {
    const out = [
      statusBlock(hostileRecord(ATTACK)),
      statusTable([hostileRecord(ATTACK)]),
      ...digestSummary(hostileReport(ATTACK, true)),
    ].join('\n');
    expect(out).not.toContain(ESC);
    expect(out).not.toContain('\u009b');
    expect(out).not.toContain('\u202e');
    expect(out).toContain('\\x1b[31mPWN');
    expect(out).toContain('\\u202e');
  });

  it('property: any text adds no line and no invisible character', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const block = statusBlock(hostileRecord(text));
        const table = statusTable([hostileRecord(text)]);
        const summary = digestSummary(hostileReport(text, true)).join('\n');
        for (const out of [block, table, summary]) {
          expect(out).not.toMatch(UNSAFE);
        }
        // One line for the key and the as-of, one per upload.
        expect(block.split('\n')).toHaveLength(3);
        expect(table.split('\n')).toHaveLength(2);
      }),
    );
  });
});

describe('SNS alert', () => {
  const alert = (k: string, uploadId: string | null = 'u-1') => ({
    alertId: `U:${uploadId}`,
    bucket: 'rec',
    key: k,
    uploadId,
    status: S.FAILED,
    errorCodes: ['InvalidPart'],
    time: '2026-03-14T10:00:00.000Z',
  });

  it('forges no line from a key with line breaks', () => {
    const a = alertMessage(
      alert('a.tar\nThe upload of s3://rec/b.tar is COMPLETED.', 'id\r\nx'),
    );
    expect(a.message.split('\n')).toHaveLength(6);
    expect(a.message).toContain('a.tar\\x0aThe upload');
    expect(a.message).toContain('Upload id: id\\x0d\\x0ax');
    expect(a.subject).toMatch(/^[\x20-\x7e]+$/);
    // No command to paste for a key that cannot be pasted as shown.
    expect(a.message).not.toContain('upload-sentinel status');
  });

  it('quotes the suggested command so that pasting it runs only the lookup', () => {
    const k = "x';touch /tmp/pwned-$$;'`id`$(id).tar";
    const line = alertMessage(alert(k)).message.split('\n').at(-1) ?? '';
    expect(line).toBe(
      `Look it up: upload-sentinel status ${shellQuote(`s3://rec/${k}`)}`,
    );
    // A real shell reads the quoted URI back as one word, exactly.
    const quoted = line.slice('Look it up: upload-sentinel status '.length);
    const r = spawnSync('sh', ['-c', `printf '%s' ${quoted}`], {
      encoding: 'utf8',
    });
    expect(r.stdout).toBe(`s3://rec/${k}`);
  });

  it('property: any key reads back through sh as one word', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }),
        (word) => {
          const r = spawnSync('sh', ['-c', `printf '%s' ${shellQuote(word)}`], {
            encoding: 'utf8',
          });
          expect(r.stdout).toBe(word);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('upload ids in a status block', () => {
  it('shows a short id whole and cuts a long one with an ellipsis', () => {
    const block = (uploadId: string) =>
      statusBlock(
        key('recordings/id.tar', [
          upload(S.FAILED, { uploadId, failedParts: [2] }),
        ]),
      );
    const short = block('U-short-1');
    expect(short).toContain('U-short-1');
    expect(short).not.toContain('U-short-1…');
    const long = `L${'y'.repeat(60)}`;
    const cut = block(long);
    expect(cut).toContain(`${long.slice(0, 24)}…`);
    expect(cut).not.toContain(long);
  });
});
