/**
 * Reads S3 event notifications out of SQS message bodies, validating the
 * shape instead of trusting it.
 */
import { isRecord } from '../core/validate.ts';

export interface S3ObjectEvent {
  bucket: string;
  /** The object key, decoded (S3 URL-encodes keys in notifications). */
  key: string;
  size: number | null;
  eventName: string;
  /** Epoch ms of the event (when S3 created the object), when it says. */
  eventTime: number | null;
}

export type ParsedMessage =
  | { kind: 'objects'; objects: S3ObjectEvent[] }
  | { kind: 'test' }
  | { kind: 'invalid'; reason: string };

/** Keys in S3 notifications are URL-encoded with `+` for spaces. */
export function decodeEventKey(key: string): string | null {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** An ISO 8601 event time in epoch ms, or `null`. */
function eventTimeOf(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(v)) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

export function parseMessageBody(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'invalid', reason: 'body is not JSON' };
  }
  if (!isRecord(json))
    return { kind: 'invalid', reason: 'body is not an object' };
  if (json.Event === 's3:TestEvent') return { kind: 'test' };
  const records = json.Records;
  if (!Array.isArray(records)) {
    return {
      kind: 'invalid',
      reason: 'no Records array: not an S3 event notification',
    };
  }
  const objects: S3ObjectEvent[] = [];
  for (const r of records) {
    if (!isRecord(r) || !isRecord(r.s3))
      return { kind: 'invalid', reason: 'a record has no s3 section' };
    const bucket = isRecord(r.s3.bucket) ? r.s3.bucket.name : undefined;
    const object = isRecord(r.s3.object) ? r.s3.object : undefined;
    const rawKey = object?.key;
    if (typeof bucket !== 'string' || typeof rawKey !== 'string') {
      return { kind: 'invalid', reason: 'a record names no bucket or key' };
    }
    const key = decodeEventKey(rawKey);
    if (key === null)
      return { kind: 'invalid', reason: `undecodable key ${rawKey}` };
    objects.push({
      bucket,
      key,
      size: typeof object?.size === 'number' ? object.size : null,
      eventName: typeof r.eventName === 'string' ? r.eventName : '',
      eventTime: eventTimeOf(r.eventTime),
    });
  }
  return { kind: 'objects', objects };
}
