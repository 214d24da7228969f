/** The digest's reports and sent messages, as objects of the reports bucket. */
import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ReportRef } from '../../core/digest/events.ts';
import type { ReportStore } from '../../core/digest/ports.ts';
import { ReportUnavailableError } from '../../core/errors.ts';

export class S3ReportStore implements ReportStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async put(
    key: string,
    body: string | Uint8Array,
    contentType: string,
  ): Promise<ReportRef> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
      }),
    );
    return { bucket: this.bucket, key };
  }

  async get(ref: ReportRef): Promise<string> {
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(
      await this.getBytes(ref),
    );
  }

  async getBytes(ref: ReportRef): Promise<Uint8Array> {
    if (ref.bucket !== this.bucket)
      throw new ReportUnavailableError(
        `report s3://${ref.bucket}/${ref.key} is not in the reports bucket ${this.bucket}`,
      );
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }),
      );
      if (out.Body === undefined)
        throw new ReportUnavailableError(
          `s3://${ref.bucket}/${ref.key} has no body`,
        );
      return await out.Body.transformToByteArray();
    } catch (err) {
      if (err instanceof NoSuchKey)
        throw new ReportUnavailableError(
          `report s3://${ref.bucket}/${ref.key} does not exist`,
          { cause: err },
        );
      throw err;
    }
  }
}
