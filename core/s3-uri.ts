/** `s3://bucket/key` URIs, validated. */
import { isBucketName } from './validate.ts';

export interface S3Location {
  bucket: string;
  key: string;
}

/** Parses `s3://bucket/key`; returns the location or why it is not one. */
export function parseS3Uri(
  text: string,
  options: { keyRequired?: boolean } = {},
): S3Location | string {
  const keyRequired = options.keyRequired ?? true;
  if (!text.startsWith('s3://')) return `'${text}' is not an s3:// URI`;
  const rest = text.slice(5);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (!isBucketName(bucket)) {
    return `'${bucket}' is not a valid bucket name`;
  }
  if (keyRequired && key === '') return `'${text}' names no object key`;
  if (key.length > 1024) return 'the object key is longer than 1024 bytes';
  return { bucket, key };
}

export function formatS3Uri(l: S3Location): string {
  return `s3://${l.bucket}/${l.key}`;
}
