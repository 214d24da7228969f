/**
 * S3's own word on the recordings, for the digest: the multipart uploads it
 * still lists as open (ListMultipartUploads) and whether a completed
 * recording is really there (HeadObject, with the part count S3 encodes in
 * a multipart object's ETag as `-N`).
 *
 * The function needs s3:ListBucketMultipartUploads, s3:GetObject (HeadObject)
 * and s3:ListBucket on the recordings bucket: without ListBucket, S3 answers
 * a missing object with 403 instead of 404, which is an error here.
 */
import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { RecordingsInspector } from '../../core/digest/ports.ts';
import type {
  HeadObjectResult,
  OpenMultipartUpload,
} from '../../core/report/digest-report.ts';

/** The part count of a multipart object's ETag (`"<md5>-N"`), or `null`. */
export function etagPartCount(etag: string | undefined): number | null {
  const m = /^"?[0-9a-fA-F]{32}-([0-9]{1,5})"?$/.exec(etag ?? '');
  return m === null ? null : Number(m[1]);
}

const statusOf = (err: unknown): number | undefined =>
  err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;

export class S3RecordingsInspector implements RecordingsInspector {
  constructor(private readonly client: S3Client) {}

  /**
   * Every open upload under `prefix`, page by page; `null` when the service
   * does not implement the call (s3rver answers 501).
   */
  async openUploads(
    bucket: string,
    prefix: string,
  ): Promise<OpenMultipartUpload[] | null> {
    const out: OpenMultipartUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: prefix === '' ? undefined : prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key === undefined || u.UploadId === undefined) continue;
          out.push({
            bucket,
            key: u.Key,
            uploadId: u.UploadId,
            initiated: u.Initiated?.toISOString() ?? '',
          });
        }
        if (page.IsTruncated !== true) return out;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
        if (keyMarker === undefined && uploadIdMarker === undefined) return out;
      }
    } catch (err) {
      if (statusOf(err) === 501 || (err as Error).name === 'NotImplemented')
        return null;
      throw err;
    }
  }

  async head(bucket: string, key: string): Promise<HeadObjectResult> {
    try {
      const h = await this.client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key }),
      );
      const parts = etagPartCount(h.ETag);
      return {
        bucket,
        key,
        present: true,
        ...(h.ContentLength === undefined ? {} : { size: h.ContentLength }),
        ...(parts === null ? {} : { partCount: parts }),
      };
    } catch (err) {
      if (statusOf(err) === 404 || (err as Error).name === 'NotFound')
        return { bucket, key, present: false };
      throw err;
    }
  }
}
