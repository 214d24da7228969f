/** Helpers to drive the local stack in integration tests. */

import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import {
  ALERT_LEASE_MS,
  alertKeyOf,
  announceDue,
} from '../../core/ingest/alerts.ts';
import {
  type KeyStatusRecord,
  resolveUploads,
  uploadStatusOf,
} from '../../core/model/derive.ts';
import type {
  AlertPublisher,
  UploadAlert,
  UploadStore,
} from '../../core/ports.ts';
import { listActive } from '../../core/queries.ts';
import { mapLimit } from '../../core/util/concurrency.ts';
import { objectCreatedBatch } from '../../local/queue.ts';
import type { LogObject, SimulatedDay } from '../../simulate/simulate.ts';
import { canonicalState } from './canonical.ts';

export async function putObjects(
  s3: S3Client,
  bucket: string,
  objects: readonly LogObject[],
  concurrency = 4,
): Promise<void> {
  await mapLimit(objects, concurrency, (o) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: o.key,
        Body: Buffer.from(o.body),
      }),
    ),
  );
}

/** Status records of every key in the index at the day's as-of time. */
export async function statusesOf(
  store: UploadStore,
  day: SimulatedDay,
): Promise<KeyStatusRecord[]> {
  return listActive(store, {
    start: null,
    end: null,
    asOf: Date.parse(day.expected.asOf),
    stallWindowMs: day.expected.stallWindowMs,
  });
}

/** The stored states of the day's keys, canonically, to compare runs exactly. */
export async function storedStates(
  store: UploadStore,
  day: SimulatedDay,
): Promise<string[]> {
  const out: string[] = [];
  for (const k of day.expected.keys) {
    const s = await store.get(k.bucket, k.key);
    out.push(s === null ? `missing ${k.key}` : canonicalState(s));
  }
  return out;
}

/** An SQS event carrying one S3 notification per object, as the queue sends it. */
export function sqsEvent(
  bucket: string,
  keys: readonly string[],
  idPrefix = 'm',
): SQSEvent {
  return objectCreatedBatch(bucket, keys, idPrefix);
}

/**
 * Sends the alerts held until the day settled, as the digest does at its
 * as-of time (`now` past any claim's lease, so a claim whose answer was
 * lost is taken over).
 */
export async function sendHeldAlerts(
  store: UploadStore,
  alerts: AlertPublisher,
  asOf: number,
  now = Date.now() + ALERT_LEASE_MS + 1,
): Promise<number> {
  const r = await announceDue(
    [],
    { store, alerts, stallWindowMs: 6 * 3_600_000 },
    { clock: asOf, now, owner: `sweep-${randomUUID()}` },
  );
  return r.sent;
}

/** How the alerts sent compare with the uploads that should have one. */
export interface AlertAudit {
  /** FAILED or ABORTED uploads of the keys, at the as-of time. */
  uploads: number;
  alerts: number;
  /** Uploads no alert names (by any of their identities). */
  unannounced: string[];
  /** Uploads two or more alerts name. */
  twice: string[];
  /** Alerts that name no FAILED or ABORTED upload. */
  stale: string[];
}

/**
 * Matches every alert sent to the FAILED or ABORTED upload it names (an
 * alert names the upload one of whose identities is its `alertId`).
 */
export async function auditAlerts(
  store: UploadStore,
  keys: readonly { bucket: string; key: string }[],
  sent: readonly UploadAlert[],
  asOf: number,
): Promise<AlertAudit> {
  const byKey = new Map<string, UploadAlert[]>();
  for (const a of sent) {
    const id = `${a.bucket}\u0000${a.key}`;
    byKey.set(id, [...(byKey.get(id) ?? []), a]);
  }
  const audit: AlertAudit = {
    uploads: 0,
    alerts: sent.length,
    unannounced: [],
    twice: [],
    stale: [],
  };
  const seen = new Set<string>();
  for (const k of keys) {
    const id = `${k.bucket}\u0000${k.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const state = await store.get(k.bucket, k.key);
    const alerts = byKey.get(id) ?? [];
    const used = new Set<UploadAlert>();
    if (state !== null) {
      for (const u of resolveUploads(state)) {
        const status = uploadStatusOf(u, {
          asOf,
          stallWindowMs: 6 * 3_600_000,
        });
        if (status !== 'FAILED' && status !== 'ABORTED') continue;
        audit.uploads++;
        const names = new Set(u.identities.map(alertKeyOf));
        const mine = alerts.filter((a) => names.has(a.alertId));
        for (const a of mine) used.add(a);
        const label = `${k.key} ${u.identity} ${status}`;
        if (mine.length === 0) audit.unannounced.push(label);
        if (mine.length > 1) audit.twice.push(label);
      }
    }
    for (const a of alerts)
      if (!used.has(a)) audit.stale.push(`${a.key} ${a.alertId} ${a.status}`);
  }
  return audit;
}
