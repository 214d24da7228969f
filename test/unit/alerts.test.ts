/**
 * Which uploads of a key to announce, and when (docs/alerts.md): settled
 * FAILED or ABORTED uploads, under an identity late records do not move,
 * never when an identity of theirs was claimed.
 */
import { describe, expect, it } from 'vitest';
import {
  ALERT_DELAY_MS,
  type AlertClaim,
  alertKeyOf,
  planAlerts,
} from '../../core/ingest/alerts.ts';
import type { UploadFact } from '../../core/model/facts.ts';
import { type KeyState, StateIndex } from '../../core/model/state.ts';
import { at, f } from '../support/facts.ts';

const HOUR = 3_600_000;
const stateOf = (facts: UploadFact[]): KeyState => {
  const index = new StateIndex();
  for (const x of facts) index.add(x);
  return index.keys.values().next().value as KeyState;
};
const plan = (
  facts: UploadFact[],
  clock: number,
  claims = new Map<string, AlertClaim>(),
  now = 0,
) =>
  planAlerts(stateOf(facts), claims, { clock, now, stallWindowMs: 6 * HOUR });
const sent = (owner = 'a'): AlertClaim => ({
  owner,
  sent: true,
  leaseUntil: 0,
});

describe('planAlerts', () => {
  it('holds a failed PUT for an hour of log time, then announces it', () => {
    const facts = [f.putFailed(0)];
    expect(plan(facts, at(59))).toMatchObject({
      send: [],
      heldUntil: at(0) + ALERT_DELAY_MS,
    });
    const due = plan(facts, at(60));
    expect(due.send.map((s) => [s.upload.status, s.alertKey])).toEqual([
      ['FAILED', `P:${at(0)}:${facts[0]?.requestId}`],
    ]);
    expect(due.heldUntil).toBeNull();
  });

  it('announces nothing for a PUT retried within the hour', () => {
    expect(plan([f.putFailed(0), f.put(5)], at(600)).send).toEqual([]);
  });

  it('gives an upload aborted by lifecycle the identity of its abort record, which its own late records keep', () => {
    const abort = f.lifecycleAbort(3000);
    const alone = plan([abort], at(3000 + 61));
    const late = plan([f.create(0), f.part('U1', 1, 1), abort], at(3000 + 61));
    expect(alone.send.map((s) => s.alertKey)).toEqual([
      `L:${at(3000)}:${abort.requestId}`,
    ]);
    expect(late.send.map((s) => [s.upload.uploadId, s.alertKey])).toEqual([
      ['U1', `L:${at(3000)}:${abort.requestId}`],
    ]);
  });

  it('does not announce an upload again when any identity of it was claimed', () => {
    // FAILED (its id claimed), then aborted by lifecycle.
    const facts = [
      f.create(0),
      f.part('U1', 1, 1),
      f.completeFailed('U1', 2),
      f.lifecycleAbort(3000),
    ];
    const claims = new Map([[alertKeyOf('U:U1'), sent()]]);
    expect(plan(facts, at(3000 + 61), claims).send).toEqual([]);
    expect(plan(facts, at(3000 + 61)).send).toHaveLength(1);
  });

  it('waits for a live claim of another run, and takes over an expired one', () => {
    const facts = [f.putFailed(0)];
    const key = `P:${at(0)}:${facts[0]?.requestId}`;
    const live = new Map([[key, { owner: 'b', sent: false, leaseUntil: 500 }]]);
    expect(plan(facts, at(120), live, 100)).toMatchObject({
      send: [],
      blockedUntil: 500,
    });
    expect(plan(facts, at(120), live, 501).send).toHaveLength(1);
  });

  it('announces a stray once settled, and nothing for a NoSuchUpload-only id', () => {
    const gone = { ok: false, httpStatus: 404, errorCode: 'NoSuchUpload' };
    const facts = [
      f.part('A', 1, 0),
      f.complete('A', 1),
      f.abort('GONE', 5, gone),
      f.refused('X', 6),
    ];
    expect(plan(facts, at(6 + 60)).send.map((s) => s.alertKey)).toEqual([
      'U:X',
    ]);
  });

  it('stores a long identity as a digest', () => {
    expect(alertKeyOf('U:short')).toBe('U:short');
    const long = alertKeyOf(`U:${'x'.repeat(1000)}`);
    expect(long).toMatch(/^#[A-Za-z0-9_-]{43}$/);
  });
});
