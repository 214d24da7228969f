/**
 * Log objects from S3, streamed: GetObject's body is consumed chunk by chunk,
 * so memory does not grow with the object's size.
 */
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { LogObjectRef, LogSource } from '../../core/ports.ts';
import { LogSourceError } from '../errors.ts';

export class S3LogSource implements LogSource {
  constructor(private readonly client: S3Client) {}

  async open(ref: LogObjectRef): Promise<AsyncIterable<Uint8Array>> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }),
      );
      const body = out.Body as AsyncIterable<Uint8Array> | undefined;
      if (
        body === undefined ||
        typeof (body as { [Symbol.asyncIterator]?: unknown })[
          Symbol.asyncIterator
        ] !== 'function'
      ) {
        throw new LogSourceError(
          `s3://${ref.bucket}/${ref.key} has no readable body`,
        );
      }
      return body;
    } catch (err) {
      if (err instanceof LogSourceError) throw err;
      if (err instanceof NoSuchKey) {
        // Deleted between the event and now: nothing to ingest.
        return (async function* () {})();
      }
      throw new LogSourceError(
        `cannot read s3://${ref.bucket}/${ref.key}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
