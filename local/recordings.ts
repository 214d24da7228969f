/**
 * Puts a simulated day's recordings into the local recordings bucket, so
 * the digest's HeadObject check has objects to find: one small placeholder
 * object per recording the bucket holds at the as-of time
 * (`SimulatedDay.recordings`; the day's `missingObjects` are left out).
 *
 * s3rver stores a multipart upload's object with a plain MD5 ETag, without
 * the `-N` part count S3 gives it, so locally the part count is unknown and
 * the report does not compare it; a placeholder is therefore put in one
 * request rather than in as many parts as the logs show.
 */
import {
  CreateBucketCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mapLimit } from '../core/util/concurrency.ts';
import type { RecordingObject } from '../simulate/simulate.ts';

/** Puts every recording; returns how many. */
export async function materializeRecordings(
  s3: S3Client,
  recordings: readonly RecordingObject[],
): Promise<number> {
  for (const bucket of new Set(recordings.map((r) => r.bucket)))
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => {});
  await mapLimit(recordings, 16, (r) =>
    s3.send(
      new PutObjectCommand({
        Bucket: r.bucket,
        Key: r.key,
        Body: `simulated recording s3://${r.bucket}/${r.key}\n`,
        ContentType: 'application/x-tar',
      }),
    ),
  );
  return recordings.length;
}
