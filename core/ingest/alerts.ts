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
import type { KeyState } from '../model/state.ts';
import { UploadStatus } from '../model/status.ts';

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
