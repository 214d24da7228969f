/**
 * The baseline of every bucket the stack creates: SSE-S3 (what server
 * access logging requires of its destination, and enough for the others),
 * no public access, TLS only, ACLs disabled.
 */
import { Duration } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  BucketEncryption,
  type BucketProps,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';

export const PRIVATE_BUCKET = {
  encryption: BucketEncryption.S3_MANAGED,
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
} as const satisfies BucketProps;

/** Objects expire `days` after they are written; stray multipart uploads after a day. */
export function expireAfter(id: string, days: number): LifecycleRule {
  return {
    id,
    expiration: Duration.days(days),
    abortIncompleteMultipartUploadAfter: Duration.days(1),
  };
}
