/** The terminal summary of a digest (`digest`, `demo`): what S3 could not check. */
import { describe, expect, it } from 'vitest';
import { digestSummary } from '../../cli/digest-summary.ts';
import { UploadStatus as S } from '../../core/model/status.ts';
import { reconcileDay } from '../../core/reconcile/reconcile-day.ts';
import { input, key, upload } from '../support/report.ts';

describe('the digest summary on a terminal', () => {
  it('says how many completed keys S3 could not check, and names the first', () => {
    const report = reconcileDay(
      input(
        [
          key('a-done.tar', [upload(S.COMPLETED)]),
          key('b-done.tar', [upload(S.COMPLETED)]),
          key('c-failed.tar', [upload(S.FAILED)]),
        ],
        // HeadObject answered for a-done only: b-done is unverified.
        {
          s3: {
            openUploads: [],
            heads: [{ key: 'a-done.tar', present: true }],
          },
        },
      ),
    );
    expect(report.coverage.s3.unverified).toHaveLength(1);
    const s3 = digestSummary(report).find((l) => l.startsWith('  S3:'));
    expect(s3).toContain(
      '1 completed object verified, 0 missing, 1 not checked (HeadObject failed; first s3://rec/b-done.tar)',
    );
  });

  it('says nothing of unchecked keys when every HeadObject answered', () => {
    const report = reconcileDay(
      input([key('a-done.tar', [upload(S.COMPLETED)])], {
        s3: { openUploads: [], heads: [{ key: 'a-done.tar', present: true }] },
      }),
    );
    const s3 = digestSummary(report).find((l) => l.startsWith('  S3:'));
    expect(s3).toContain('1 completed object verified, 0 missing;');
  });
});
