/**
 * The destination of the recordings bucket's server access logs.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  type IGrantable,
  PolicyStatement,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from '../nag.ts';
import { expireAfter, PRIVATE_BUCKET } from './private-bucket.ts';

export interface LogBucketProps {
  /**
   * Target prefix of the server access logs (empty, or ending in `/`).
   * @default 's3-access-logs/'
   */
  readonly logPrefix?: string;
  /**
   * Days a log object is kept; the lifecycle rule deletes it after that.
   * @default 400
   */
  readonly retentionDays?: number;
  /**
   * What happens to the bucket when the stack is deleted. The logs are the
   * evidence behind every digest, so they stay by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * SSE-S3 (server access logging cannot write to an SSE-KMS bucket), public
 * access blocked, TLS only, bucket-owner-enforced ownership (no ACLs: the
 * logging service is admitted by bucket policy), lifecycle retention.
 */
export class LogBucket extends Construct {
  readonly bucket: Bucket;
  /** Target prefix of the logs, as the functions' `SENTINEL_LOG_PREFIX`. */
  readonly logPrefix: string;

  constructor(scope: Construct, id: string, props: LogBucketProps = {}) {
    super(scope, id);
    this.logPrefix = props.logPrefix ?? 's3-access-logs/';
    this.bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        expireAfter('expire-access-logs', props.retentionDays ?? 400),
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log destination; logging it into itself would loop, and its writes come from the S3 logging service only.',
    });
  }

  /** Where the logs of `source` land (partitioned layout, without the date). */
  sourceFolder(source: IBucket): string {
    const stack = Stack.of(this);
    return `${this.logPrefix}${stack.account}/${stack.region}/${source.bucketName}/`;
  }

  /**
   * Admits the S3 logging service to write the logs of `source` (a bucket of
   * this account) under the log prefix, and nothing else. Buckets created in
   * this stack with `serverAccessLogsBucket` get the same statement from CDK.
   */
  admitServerAccessLogs(source: IBucket): void {
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AdmitServerAccessLogsOfTheRecordingsBucket',
        principals: [new ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${this.logPrefix}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': source.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
  }

  /**
   * Reads log objects under the log prefix (the ingest function): their
   * names are not known in advance, so the grant is the prefix.
   */
  grantReadLogs(grantee: IGrantable): void {
    const objects = this.bucket.arnForObjects(`${this.logPrefix}*`);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }),
    );
    acknowledgeWildcards(
      grantee,
      [objects],
      'Log object names are chosen by the S3 logging service; the grant is limited to the log prefix of the log bucket.',
    );
  }

  /**
   * Lists and reads the logs of `source` (Athena scanning one folder of
   * partitions on behalf of `grantee`).
   */
  grantQueryLogs(grantee: IGrantable, source: IBucket): void {
    const folder = this.sourceFolder(source);
    const objects = this.bucket.arnForObjects(`${folder}*`);
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketLocation'],
        resources: [this.bucket.bucketArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${folder}*`] } },
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }),
    );
    acknowledgeWildcards(
      grantee,
      [objects],
      'Athena reads the log objects of the recordings bucket by date folder; the grant is limited to the folder of that bucket of the log bucket.',
    );
  }
}
