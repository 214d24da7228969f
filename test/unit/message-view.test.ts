/**
 * The message the reconcile step prepares (core/digest/message.ts): its
 * view of the report holds only the rows the e-mail shows, and renders the
 * very message the whole report renders, so the send step's memory does not
 * grow with the day while the message stays what it was.
 */
import { describe, expect, it } from 'vitest';
import { digestAttachment } from '../../core/digest/email.ts';
import {
  messageView,
  parseStoredMessage,
  prepareMessage,
} from '../../core/digest/message.ts';
import type { ReportStore } from '../../core/digest/ports.ts';
import { DigestInputError } from '../../core/errors.ts';
import { reconcileDay } from '../../core/reconcile/reconcile-day.ts';
import { AttentionCategory } from '../../core/report/digest-report.ts';
import { html, subject, text } from '../../core/report/render.ts';
import {
  DEFAULT_MAX_ATTENTION_ROWS,
  DEFAULT_MAX_LIST_ROWS,
} from '../../core/report/render-common.ts';
import { simulatedReport } from '../support/report.ts';

const LINKS = {
  reportUri: 's3://reports/digests/2026-03-14/run-1/report.json',
  csvUri: 's3://reports/digests/2026-03-14/run-1/attention.csv',
};

describe('the message view of a report', () => {
  it.each([
    [400, 'view-a', 0.5],
    [300, 'view-b', 1],
    [250, 'view-c', 0.3],
  ])(
    'renders what the whole report renders (%i recordings, seed %s, failure rate %f)',
    (recordings, seed, rate) => {
      const { report } = simulatedReport(recordings, seed, rate);
      const view = messageView(report);
      // The day is one whose lists the view cuts.
      expect(report.attention.length).toBeGreaterThan(
        DEFAULT_MAX_ATTENTION_ROWS,
      );
      expect(view.attention).toHaveLength(DEFAULT_MAX_ATTENTION_ROWS);
      expect(view.recovered.length).toBeLessThanOrEqual(DEFAULT_MAX_LIST_ROWS);
      expect(view.cut).toMatchObject({
        attention: report.attention.length,
        recovered: report.recovered.length,
      });
      const { delivery } = digestAttachment(report, LINKS);
      expect(subject(view)).toBe(subject(report));
      expect(html(view, { delivery })).toBe(html(report, { delivery }));
      expect(text(view, { delivery })).toBe(text(report, { delivery }));
    },
  );

  it.each([
    [
      'the index missed the day (an ingest outage): Athena repairs every key',
      'missed',
    ],
    [
      'Athena missed half the day: the index holds uploads it did not see',
      'half',
    ],
  ] as const)('cuts the coverage lists too: %s', (_, kind) => {
    const { input } = simulatedReport(400, 'view-a', 0.5);
    const report = reconcileDay(
      kind === 'missed'
        ? { ...input, index: [] }
        : {
            ...input,
            athena: (input.athena ?? []).filter((_r, i) => i % 2 === 0),
          },
    );
    const c = report.coverage;
    const long = kind === 'missed' ? c.repaired : c.indexOnly;
    expect(long.length).toBeGreaterThan(10 * DEFAULT_MAX_LIST_ROWS);
    const view = messageView(report);
    const v = view.coverage;
    for (const l of [
      v.repaired,
      v.indexOnly,
      v.disagreements,
      v.s3.unverified,
      v.s3.strayOpenUploads,
      v.s3.problems,
    ])
      expect(l.length).toBeLessThanOrEqual(DEFAULT_MAX_LIST_ROWS);
    expect(view.cut?.coverage).toEqual({
      repaired: c.repaired.length,
      indexOnly: c.indexOnly.length,
      disagreements: c.disagreements.length,
      unverified: c.s3.unverified.length,
      strayOpenUploads: c.s3.strayOpenUploads.length,
      problems: c.s3.problems.length,
    });
    // The same message, from a view a fraction of the report's size.
    const { delivery } = digestAttachment(report, LINKS);
    expect(subject(view)).toBe(subject(report));
    expect(html(view, { delivery })).toBe(html(report, { delivery }));
    expect(text(view, { delivery })).toBe(text(report, { delivery }));
    expect(JSON.stringify(view).length).toBeLessThan(
      JSON.stringify(report).length / 4,
    );
  });

  it('counts the disputed keys of the whole list, not of the rows kept', () => {
    const { report } = simulatedReport(400, 'view-a', 0.5);
    const disputed = (s: string) =>
      report.attention.filter(
        (a) => a.category === AttentionCategory.DISPUTED && a.status === s,
      ).length;
    const view = messageView(report);
    expect(view.cut?.disputedCompleted).toBe(disputed('COMPLETED'));
    expect(view.cut?.disputedInProgress).toBe(disputed('IN_PROGRESS'));
    // A view is its own view.
    expect(messageView(view)).toBe(view);
  });

  it('is stored with its attachment and read back whole', async () => {
    const { report } = simulatedReport(300, 'view-b', 1);
    const objects = new Map<string, Uint8Array>();
    const store: ReportStore = {
      bucket: 'reports',
      put: async (key, body) => {
        objects.set(key, typeof body === 'string' ? Buffer.from(body) : body);
        return { bucket: 'reports', key };
      },
      get: async (ref) => Buffer.from(objects.get(ref.key) ?? '').toString(),
      getBytes: async (ref) => objects.get(ref.key) ?? new Uint8Array(),
    };
    const folder = 'digests/2026-03-14/run-1/';
    const ref = await prepareMessage(report, store, folder, {
      bucket: 'reports',
      key: `${folder}report.json`,
    });
    const prepared = parseStoredMessage(await store.get(ref), ref);
    const { attachment, delivery } = digestAttachment(report, LINKS);
    expect(prepared.delivery).toEqual(delivery);
    expect(prepared.view).toEqual(
      JSON.parse(JSON.stringify(messageView(report))),
    );
    expect(prepared.attachment.filename).toBe(attachment.filename);
    expect(Buffer.from(objects.get(prepared.attachment.ref.key) ?? '')).toEqual(
      Buffer.from(attachment.content),
    );
    // The complete CSV is kept beside it, and the message is small.
    expect(objects.has(`${folder}attention.csv`)).toBe(true);
    expect(objects.get(ref.key)?.length).toBeLessThan(200_000);
  });

  it('refuses a stored object that is not a prepared message', () => {
    const ref = { bucket: 'reports', key: 'm.json' };
    expect(() => parseStoredMessage('{}', ref)).toThrow(DigestInputError);
    expect(() => parseStoredMessage('not json', ref)).toThrow(
      /not a prepared digest message: not JSON/,
    );
  });
});
