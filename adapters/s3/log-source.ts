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
        // Never an empty log: a log object that cannot be read is data
        // lost, so the message fails (and after its retries rests in the
        // dead-letter queue with this reason).
        throw new LogSourceError(
          `s3://${ref.bucket}/${ref.key} does not exist: deleted after its event was sent, or the event's key is not URL-encoded as S3 writes it`,
          { cause: err },
        );
      }
      throw new LogSourceError(
        `cannot read s3://${ref.bucket}/${ref.key}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
