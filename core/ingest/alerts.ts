/**
 * Near-real-time alerts: which uploads of a key to announce, and when
 * (docs/alerts.md). Pure: the log clock, the wall clock and the claims
 * already in the index are arguments.
 *
 * - An upload is announced once it is FAILED or ABORTED and settled: the log
 *   clock (the newest record the ingest has read) has passed its last
 *   activity by `ALERT_DELAY_MS`, long enough for the log objects that
 *   could show a retry to arrive. Until then it is held; a later ingest, or
 *   the digest, announces it once due.
 * - It is announced once: under the identity of the records that make it
 *   that late records do not move (`ResolvedUpload.identity`), and not at
 *   all when any of its identities was claimed already (the upload an
 *   earlier alert named before late records showed more of it).
 */
import { createHash } from 'node:crypto';
import {
  type DeriveOptions,
  type ResolvedUpload,
  resolveUploads,
  type UploadStatusRecord,
  uploadRecordOf,
} from '../model/derive.ts';
import { type KeyState, keyId } from '../model/state.ts';
import { UploadStatus } from '../model/status.ts';
import type {
  AlertPublisher,
  HeldAlert,
  UploadStore,
  WriteCount,
} from '../ports.ts';
import { mapLimit } from '../util/concurrency.ts';

/**
 * How long after an upload's last activity (in log time) a FAILED or
 * ABORTED upload is announced: retries come within seconds to minutes, and
 * S3 delivers most log records within the hour.
 */
export const ALERT_DELAY_MS = 60 * 60 * 1000;

/**
 * How long a claim whose alert was not confirmed sent belongs to its
 * owner: longer than any ingest run (Lambda's 15 minutes), so a live owner
 * is never overtaken; after it, another run may send the alert.
 */
export const ALERT_LEASE_MS = 15 * 60 * 1000;

/** A claim of an alert, as the index holds it. */
export interface AlertClaim {
  /** Who claimed it (one token per ingest or digest run). */
  owner: string;
  /** The alert was published. */
  sent: boolean;
  /** Epoch ms (wall clock) until which an unsent claim is its owner's. */
  leaseUntil: number;
}

/**
 * The text an alert identity is stored under: itself, or, when long (a
 * hostile upload id), a digest of it, so it always fits a sort key.
 */
export function alertKeyOf(identity: string): string {
  if (identity.length <= 200) return identity;
  return `#${createHash('sha256').update(identity).digest('base64url')}`;
}

/** One upload to announce. */
export interface AlertToSend {
  /** The identity to claim (`alertKeyOf` form). */
  alertKey: string;
  upload: UploadStatusRecord;
}

export interface AlertPlan {
  send: AlertToSend[];
  /** Log time the first held upload settles; null when none is held. */
  heldUntil: number | null;
  /** Wall time another run's unsent claim expires; null when none blocks. */
  blockedUntil: number | null;
}

export interface AlertClock {
  /** Log time: the newest record read (never after `now`). */
  clock: number;
  /** Wall time, for claims' leases. */
  now: number;
  stallWindowMs: number;
  /** Default `ALERT_DELAY_MS`. */
  delayMs?: number;
}

const alerting = (s: UploadStatus) =>
  s === UploadStatus.FAILED || s === UploadStatus.ABORTED;

/**
 * What to do about a key's alerts at a clock: the settled FAILED or ABORTED
 * uploads no claim covers, the time the next one settles, and the time a
 * live claim of another run expires (its upload is waited for, not sent).
 * `claims` maps `alertKeyOf(identity)` to the claims of the key.
 */
export function planAlerts(
  state: KeyState,
  claims: ReadonlyMap<string, AlertClaim>,
  c: AlertClock,
): AlertPlan {
  const delay = c.delayMs ?? ALERT_DELAY_MS;
  const derive: DeriveOptions = {
    asOf: c.clock,
    stallWindowMs: c.stallWindowMs,
  };
  const plan: AlertPlan = { send: [], heldUntil: null, blockedUntil: null };
  for (const u of resolveUploads(state)) {
    const record = uploadRecordOf(u, derive);
    if (!alerting(record.status)) continue;
    const settles = (u.lastActivity ?? Number.NEGATIVE_INFINITY) + delay;
    if (settles > c.clock) {
      plan.heldUntil = Math.min(plan.heldUntil ?? settles, settles);
      continue;
    }
    const cover = coverOf(u, claims, c.now);
    if (cover === 'announced') continue;
    if (typeof cover === 'number') {
      plan.blockedUntil = Math.max(plan.blockedUntil ?? cover, cover);
      continue;
    }
    plan.send.push({ alertKey: alertKeyOf(u.identity), upload: record });
  }
  return plan;
}

/**
 * Whether claims cover the upload: 'announced' when one of its identities
 * was sent; the end of the latest lease when only unsent claims of live
 * runs cover it (that run sends it, or its lease ends and a later run
 * does); null when nothing, or only expired unsent claims, cover it.
 */
function coverOf(
  u: ResolvedUpload,
  claims: ReadonlyMap<string, AlertClaim>,
  now: number,
): 'announced' | number | null {
  let live: number | null = null;
  for (const id of u.identities) {
    const claim = claims.get(alertKeyOf(id));
    if (claim === undefined) continue;
    if (claim.sent) return 'announced';
    if (claim.leaseUntil > now)
      live = Math.max(live ?? claim.leaseUntil, claim.leaseUntil);
  }
  return live;
}

/** What announcing needs. */
export interface AnnounceDeps {
  store: UploadStore;
  alerts: AlertPublisher;
  stallWindowMs: number;
  /** Default `ALERT_DELAY_MS`. */
  delayMs?: number;
  /** Keys handled at once (default 4). */
  concurrency?: number;
}

export interface AnnounceClock {
  /** Log time: the newest record read, never after `now`. */
  clock: number;
  /** Wall time. */
  now: number;
  /** This run's claim token. */
  owner: string;
}

export interface AnnounceResult {
  /** Alerts published. */
  sent: number;
  /** Held alerts handled (due at the clock). */
  dueHandled: number;
  /** Keys whose alerts now wait (held, or blocked by another run). */
  held: number;
  writes: WriteCount;
  /**
   * Keys of `touched` whose handling failed (the caller fails the messages
   * that carried them; their redelivery handles them again). A held key
   * that fails stays held.
   */
  failed: Map<string, Error>;
}

const asError = (err: unknown): Error =>
  err instanceof Error ? err : new Error(String(err));

/**
 * One key: announces the uploads due at the clock and says until when the
 * rest waits. Each alert is claimed, published, then marked sent; a claim
 * whose answer never came (the write may have landed) or a live claim of
 * another run makes the key wait for the lease; a publish that fails gives
 * the claim back and the key is handled again by the next run.
 */
async function announceKey(
  bucket: string,
  key: string,
  deps: AnnounceDeps,
  c: AnnounceClock,
  writes: WriteCount,
): Promise<{ sent: number; hold: HeldAlert | null }> {
  const { state, claims } = await deps.store.alertView(bucket, key);
  if (state === null) return { sent: 0, hold: null };
  const plan = planAlerts(state, claims, {
    clock: c.clock,
    now: c.now,
    stallWindowMs: deps.stallWindowMs,
    delayMs: deps.delayMs,
  });
  let due = plan.heldUntil;
  let notBefore = plan.blockedUntil ?? 0;
  const retry = (after: number) => {
    due = Math.min(due ?? c.clock, c.clock);
    notBefore = Math.max(notBefore, after);
  };
  const write = () => {
    writes.requests++;
    writes.items++;
  };
  let sent = 0;
  for (const s of plan.send) {
    let claimed: true | AlertClaim | null;
    try {
      claimed = await idempotent(write, () =>
        deps.store.claimAlert(bucket, key, s.alertKey, c.owner, c.now),
      );
    } catch {
      // No answer: the claim may stand, ours, until its lease ends.
      retry(c.now + ALERT_LEASE_MS);
      continue;
    }
    if (claimed !== true) {
      // Another run's: sent (done), or to wait for; gone: try again soon.
      if (claimed === null) retry(c.now);
      else if (!claimed.sent) retry(claimed.leaseUntil);
      continue;
    }
    const u = s.upload;
    try {
      await deps.alerts.publish({
        alertId: s.alertKey,
        bucket,
        key,
        uploadId: u.uploadId,
        status: u.status,
        errorCodes: u.errorCodes,
        time: u.abortedAt ?? u.lastActivity ?? new Date(c.clock).toISOString(),
      });
    } catch {
      write();
      await deps.store
        .releaseAlert(bucket, key, s.alertKey, c.owner)
        .catch(() => {});
      retry(c.now);
      continue;
    }
    sent++;
    await idempotent(write, () =>
      deps.store.markAlertSent(bucket, key, s.alertKey, c.owner),
    );
  }
  return {
    sent,
    hold: due === null ? null : { bucket, key, due, notBefore },
  };
}

/**
 * A write that is idempotent for this run's owner (a claim, its sent
 * mark), tried again a few times beyond the SDK's own retries, which a lost
 * answer can exhaust (their retry quota drains while DynamoDB is flaky):
 * a claim left unanswered delays its alert by a lease, a sent mark left
 * unwritten would let a later run announce the upload a second time.
 */
async function idempotent<T>(
  write: () => void,
  fn: () => Promise<T>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      write();
      return await fn();
    } catch (err) {
      if (attempt >= attempts) throw asError(err);
    }
  }
}

/**
 * Announces what is due at the clock: for the keys `touched` (bucket, key)
 * and for the keys held until now, whose held alerts are then forgotten;
 * keys with alerts still waiting are held again. `dueLimit` caps the held
 * keys one run handles (the next run takes the rest).
 */
export async function announceDue(
  touched: readonly { bucket: string; key: string }[],
  deps: AnnounceDeps,
  c: AnnounceClock,
  dueLimit = Number.POSITIVE_INFINITY,
): Promise<AnnounceResult> {
  const result: AnnounceResult = {
    sent: 0,
    dueHandled: 0,
    held: 0,
    writes: { requests: 0, items: 0 },
    failed: new Map(),
  };
  const due: HeldAlert[] = [];
  for await (const h of deps.store.dueAlerts(c.clock)) {
    if (h.notBefore > c.now) continue;
    due.push(h);
    if (due.length >= dueLimit) break;
  }
  const work = new Map<
    string,
    { bucket: string; key: string; touched: boolean }
  >();
  for (const t of touched)
    work.set(keyId(t.bucket, t.key), { ...t, touched: true });
  for (const h of due) {
    const id = keyId(h.bucket, h.key);
    if (!work.has(id))
      work.set(id, { bucket: h.bucket, key: h.key, touched: false });
  }
  const holds: HeldAlert[] = [];
  const failedHeld = new Set<string>();
  await mapLimit([...work], deps.concurrency ?? 4, async ([id, k]) => {
    try {
      const r = await announceKey(k.bucket, k.key, deps, c, result.writes);
      result.sent += r.sent;
      if (r.hold !== null) holds.push(r.hold);
    } catch (err) {
      if (k.touched) result.failed.set(id, asError(err));
      else failedHeld.add(id);
    }
  });
  // Hold first, then forget what was due (unless held again as it was),
  // so a key is never left unheld in between.
  if (holds.length > 0) {
    const w = await deps.store.holdAlerts(holds);
    result.writes.requests += w.requests;
    result.writes.items += w.items;
  }
  result.held = holds.length;
  const again = new Set(
    holds.map((h) => `${keyId(h.bucket, h.key)}\u0000${h.due}`),
  );
  for (const h of due) {
    const id = keyId(h.bucket, h.key);
    if (failedHeld.has(id) || again.has(`${id}\u0000${h.due}`)) continue;
    result.writes.requests++;
    result.writes.items++;
    // One left behind is handled again next time, which changes nothing.
    await deps.store.clearHeldAlert(h).catch(() => {});
    result.dueHandled++;
  }
  return result;
}
