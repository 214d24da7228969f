/**
 * The bucket the recorder uploads to: an existing one, whose server access
 * logging this stack turns on with a custom resource, or a new one for a
 * trial. Either way its logs land in the log bucket, date-partitioned by
 * event time.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  type AwsSdkCall,
  PhysicalResourceId,
} from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { Env } from '../../config/env.ts';
import { acknowledgeWildcards } from '../nag.ts';
import type { LogBucket } from './log-bucket.ts';
import { PRIVATE_BUCKET } from './private-bucket.ts';

export interface RecordingsBucketProps {
  /** Where the server access logs go. */
  readonly logBucket: LogBucket;
  /**
   * Name of an existing bucket (same account and Region as the stack).
   * @default - a new bucket is created (a trial)
   */
  readonly existingBucketName?: string;
  /**
   * New bucket only: days after which the lifecycle aborts a multipart
   * upload that never completed (the logs record it as `S3.DELETE.UPLOAD`).
   * @default 7
   */
  readonly abortIncompleteUploadsAfterDays?: number;
}

/** The recordings bucket, with its server access logging on. */
export class RecordingsBucket extends Construct {
  readonly bucket: IBucket;
  /** True when this stack created the bucket. */
  readonly created: boolean;
  /**
   * The custom resource that turns logging of an existing bucket on;
   * undefined for a bucket this stack created (its logging is a property of
   * the bucket).
   */
  readonly serverAccessLogging?: ServerAccessLogging;

  constructor(scope: Construct, id: string, props: RecordingsBucketProps) {
    super(scope, id);
    const { logBucket } = props;
    if (props.existingBucketName === undefined) {
      this.created = true;
      const bucket = new Bucket(this, 'Bucket', {
        ...PRIVATE_BUCKET,
        // Recordings are never deleted by removing the monitoring stack.
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [
          {
            id: 'abort-incomplete-multipart-uploads',
            abortIncompleteMultipartUploadAfter: Duration.days(
              props.abortIncompleteUploadsAfterDays ?? 7,
            ),
          },
        ],
      });
      // Logging set on the CloudFormation resource, not with
      // `serverAccessLogsBucket`: CDK's bucket policy statement for that
      // admits the logging service to the whole log prefix, this one to the
      // bucket's own folder, as for an existing bucket.
      const cfnBucket = bucket.node.defaultChild;
      if (!(cfnBucket instanceof CfnBucket)) {
        throw new Error('the recordings bucket has no CfnBucket');
      }
      cfnBucket.loggingConfiguration = {
        destinationBucketName: logBucket.bucket.bucketName,
        logFilePrefix: logBucket.logPrefix,
        targetObjectKeyFormat: {
          partitionedPrefix: { partitionDateSource: 'EventTime' },
        },
      };
      logBucket.admitServerAccessLogs(bucket);
      this.bucket = bucket;
    } else {
      this.created = false;
      this.bucket = Bucket.fromBucketName(
        this,
        'Bucket',
        props.existingBucketName,
      );
      logBucket.admitServerAccessLogs(this.bucket);
      this.serverAccessLogging = new ServerAccessLogging(
        this,
        'ServerAccessLogging',
        {
          source: this.bucket,
          logBucket,
        },
      );
    }
  }

  /**
   * Lets the digest's reconcile check S3 itself (`adapters/s3/recordings.ts`)
   * for the recordings under `watchPrefix`: sets `SENTINEL_RECORDINGS_BUCKET`
   * and `SENTINEL_WATCH_PREFIX`, and grants exactly what its two calls need.
   *
   * - `s3:ListBucketMultipartUploads` on the bucket: the uploads S3 still
   *   lists as open (the call passes the prefix; the action has no prefix
   *   condition key to pin it).
   * - `s3:GetObject` on the objects under the prefix: HeadObject (size, and
   *   the part count in the ETag) is authorised as `s3:GetObject`, there is
   *   no HEAD-only action. The function never downloads a recording, but the
   *   grant would allow it, so it covers the watched prefix only.
   * - `s3:ListBucket` on the bucket, with `s3:prefix` limited to the watched
   *   prefix when there is one: without ListBucket S3 answers HeadObject of a
   *   missing object with 403 instead of 404, and a completed recording that
   *   is missing (MISSING_OBJECT) is what the check is for. S3 evaluates
   *   that ListBucket with the object's key as `s3:prefix`, so the condition
   *   holds for watched keys (the behaviour ceph/ceph#68577 copies into
   *   RGW "to match aws").
   */
  bindInspection(fn: LambdaFunction, watchPrefix: string): void {
    fn.addEnvironment(Env.RECORDINGS_BUCKET, this.bucket.bucketName);
    fn.addEnvironment(Env.WATCH_PREFIX, watchPrefix);
    const principal = fn.grantPrincipal;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        ...(watchPrefix === ''
          ? {}
          : {
              conditions: {
                StringLike: { 's3:prefix': [`${watchPrefix}*`] },
              },
            }),
      }),
    );
    const objects = this.bucket.arnForObjects(`${watchPrefix}*`);
    principal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }),
    );
    acknowledgeWildcards(
      fn,
      [objects],
      `HeadObject of each recording the day reports complete (is it there, its size and part count) is authorised as s3:GetObject, which has no HEAD-only variant; the keys are the day's recordings, not known in advance, so the grant is every object ${watchPrefix === '' ? 'of the recordings bucket (recordingPrefix is not set: the whole bucket is watched)' : `under the watched prefix ${watchPrefix}`}. The function never calls GetObject itself.`,
    );
  }
}

export interface ServerAccessLoggingProps {
  /** The bucket whose requests are logged. */
  readonly source: IBucket;
  /** The destination. */
  readonly logBucket: LogBucket;
}

/**
 * Turns on server access logging of an existing bucket with
 * PutBucketLogging (partitioned prefix, event time), and turns it off when
 * the stack is deleted. It replaces any logging configuration the bucket
 * had: the deploy guide says so.
 */
export class ServerAccessLogging extends Construct {
  readonly resource: AwsCustomResource;
  /** Execution role of the function behind the custom resource. */
  readonly role: Role;
  /** Log group of that function. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServerAccessLoggingProps) {
    super(scope, id);
    const { source, logBucket } = props;
    const physicalResourceId = PhysicalResourceId.of(
      `${source.bucketName}-server-access-logging`,
    );
    const enable: AwsSdkCall = {
      service: 'S3',
      action: 'PutBucketLogging',
      parameters: {
        Bucket: source.bucketName,
        BucketLoggingStatus: {
          LoggingEnabled: {
            TargetBucket: logBucket.bucket.bucketName,
            TargetPrefix: logBucket.logPrefix,
            TargetObjectKeyFormat: {
              PartitionedPrefix: { PartitionDateSource: 'EventTime' },
            },
          },
        },
        ExpectedBucketOwner: Stack.of(this).account,
      },
      physicalResourceId,
    };
    const disable: AwsSdkCall = {
      service: 'S3',
      action: 'PutBucketLogging',
      parameters: {
        Bucket: source.bucketName,
        BucketLoggingStatus: {},
        ExpectedBucketOwner: Stack.of(this).account,
      },
      physicalResourceId,
    };
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The role of CDK's AwsCustomResource function (a stack singleton: any
    // other AwsCustomResource of the stack would run as this role too).
    // Without it CDK creates one with AWSLambdaBasicExecutionRole, which
    // writes to every log group; this one writes to its own.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'Execution role of the CDK AwsCustomResource function that turns server access logging of the recordings bucket on and off',
    });
    this.logGroup.grantWrite(this.role);
    this.resource = new AwsCustomResource(this, 'PutBucketLogging', {
      resourceType: 'Custom::ServerAccessLogging',
      onCreate: enable,
      onUpdate: enable,
      onDelete: disable,
      role: this.role,
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({
          actions: ['s3:PutBucketLogging'],
          resources: [source.bucketArn],
        }),
      ]),
      installLatestAwsSdk: false,
      logGroup: this.logGroup,
    });
    // The bucket policy admitting the logging service exists first.
    if (logBucket.bucket.policy !== undefined) {
      this.resource.node.addDependency(logBucket.bucket.policy);
    }
  }
}
