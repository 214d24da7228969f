/**
 * The destination of the recordings bucket's server access logs.
 */
import { CfnResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  type IGrantable,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Bucket,
  EventType,
  type IBucket,
  type IBucketNotificationDestination,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  DEFAULT_LOG_PREFIX,
  DEFAULT_MANIFEST_PREFIX,
} from '../../config/stack-outputs.ts';
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
  /**
   * Construct id of the stack-wide function CDK adds to write bucket
   * notification configurations (`NotificationsResourceHandler` in
   * aws-cdk-lib/aws-s3).
   */
  static readonly NOTIFICATIONS_HANDLER_ID =
    'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

  readonly bucket: Bucket;
  /** Target prefix of the logs, as the functions' `SENTINEL_LOG_PREFIX`. */
  readonly logPrefix: string;
  /**
   * Key prefix of the manifests of expected recordings, as the ingest
   * function's `SENTINEL_MANIFEST_PREFIX` (docs/manifests.md).
   */
  readonly manifestPrefix = DEFAULT_MANIFEST_PREFIX;
  /**
   * Execution role of CDK's notifications handler: writes the notification
   * configuration of this bucket and the handler's own log group, nothing
   * else (`notifyNewLogs`).
   */
  readonly notificationsHandlerRole: Role;
  /** Log group of CDK's notifications handler. */
  readonly notificationsHandlerLogs: LogGroup;

  constructor(scope: Construct, id: string, props: LogBucketProps = {}) {
    super(scope, id);
    this.logPrefix = props.logPrefix ?? DEFAULT_LOG_PREFIX;
    this.notificationsHandlerLogs = new LogGroup(
      this,
      'NotificationsHandlerLogs',
      {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      },
    );
    this.notificationsHandlerRole = new Role(this, 'NotificationsHandlerRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'Execution role of the CDK handler that writes the log bucket notification configuration',
    });
    this.notificationsHandlerLogs.grantWrite(this.notificationsHandlerRole);
    this.bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        expireAfter('expire-access-logs', props.retentionDays ?? 400),
      ],
      // Passed without policy updates: CDK would attach
      // AWSLambdaBasicExecutionRole (CloudWatch Logs on every log group) to
      // it. Its grants are the ones made here.
      notificationsHandlerRole:
        this.notificationsHandlerRole.withoutPolicyUpdates(),
    });
    // What CDK's own handler policy grants for a bucket of this stack.
    this.notificationsHandlerRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutBucketNotification'],
        resources: [this.bucket.bucketArn],
      }),
    );
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
   * this account and Region, logging with the partitioned prefix) into the
   * folder of that bucket (`sourceFolder`), and nothing else. Not
   * `serverAccessLogsBucket`: CDK's statement for it admits the whole log
   * prefix.
   */
  admitServerAccessLogs(source: IBucket): void {
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AdmitServerAccessLogsOfTheRecordingsBucket',
        principals: [new ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${this.sourceFolder(source)}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': source.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
  }

  /**
   * Sends each object created under the log prefix to `destination`, through
   * the function CDK adds to the stack to write the bucket's notification
   * configuration. That function runs as `notificationsHandlerRole` and logs
   * to `notificationsHandlerLogs`. It is a stack singleton: another bucket of
   * this stack with notifications would need its own grant on that role.
   */
  notifyNewLogs(destination: IBucketNotificationDestination): void {
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, {
      prefix: this.logPrefix,
    });
    this.setNotificationsHandlerLogGroup();
  }

  /**
   * Sends each object created under the manifest prefix to `destination`
   * (the ingest queue, as for the logs): manifests take the same path, and
   * the same idempotence, as the access logs. The prefixes do not overlap,
   * so no object raises two events.
   */
  notifyNewManifests(destination: IBucketNotificationDestination): void {
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, {
      prefix: this.manifestPrefix,
    });
    this.setNotificationsHandlerLogGroup();
  }

  private setNotificationsHandlerLogGroup(): void {
    const handler = Stack.of(this)
      .node.tryFindChild(LogBucket.NOTIFICATIONS_HANDLER_ID)
      ?.node.tryFindChild('Resource');
    if (
      !CfnResource.isCfnResource(handler) ||
      handler.cfnResourceType !== 'AWS::Lambda::Function'
    ) {
      throw new Error(
        `CDK's bucket notifications handler is not at ${LogBucket.NOTIFICATIONS_HANDLER_ID}/Resource: its log group cannot be set`,
      );
    }
    // Its own log group, the only one its role may write to. The default
    // one is named after the function, which depends on the role's policy:
    // that policy cannot name it.
    handler.addPropertyOverride(
      'LoggingConfig.LogGroup',
      this.notificationsHandlerLogs.logGroupName,
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
   * Reads the manifests under the manifest prefix (the ingest function):
   * their names are the recorder's choice, so the grant is the prefix.
   */
  grantReadManifests(grantee: IGrantable): void {
    const objects = this.bucket.arnForObjects(`${this.manifestPrefix}*`);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }),
    );
    acknowledgeWildcards(
      grantee,
      [objects],
      'Manifest names are chosen by the recording platform; the grant is limited to the manifest prefix of the log bucket.',
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
