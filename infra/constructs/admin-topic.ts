/**
 * The SNS topic the operators hear from: alarms, a failed daily run, and
 * (optionally) FAILED/ABORTED uploads as the ingest sees them (and as the
 * digest sends those held until their day settled).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  type IGrantable,
  PolicyStatement,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { Env } from '../../config/env.ts';

export interface AdminTopicProps {
  /**
   * Subscribed by e-mail (the address must confirm the subscription).
   * @default - no subscription: subscribe later in the console
   */
  readonly adminEmail?: string;
}

/**
 * An SNS topic encrypted with its own KMS key (rotation on) that CloudWatch
 * alarms may use, TLS-only publishing, and the admin e-mail subscribed.
 */
export class AdminTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  /** Send an alarm's state changes here. */
  readonly alarmAction: IAlarmAction;

  constructor(scope: Construct, id: string, props: AdminTopicProps = {}) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Encrypts the upload-sentinel admin topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarms publish to the topic only when its policy allows the
    // service (the topic policy below replaces SNS's default one), and to an
    // encrypted topic only when the key lets them (the AWS-managed SNS key
    // does not). Both only for alarms of this account and region: no other
    // account's alarm can use them (confused deputy).
    const stack = Stack.of(this);
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
      },
    };
    const cloudwatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudwatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'upload-sentinel admin',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudwatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOwnAlarms,
      }),
    );
    if (props.adminEmail !== undefined) {
      this.topic.addSubscription(new EmailSubscription(props.adminEmail));
    }
    this.alarmAction = new SnsAction(this.topic);
  }

  /**
   * `fn` publishes near-real-time alerts here: the topic in its environment
   * (`SENTINEL_ALERT_TOPIC_ARN`) and the right to publish, in one call.
   */
  bindAlertPublisher(fn: LambdaFunction): void {
    fn.addEnvironment(Env.ALERT_TOPIC_ARN, this.topic.topicArn);
    this.grantPublish(fn);
  }

  /** sns:Publish on this topic, and the key use publishing needs. */
  grantPublish(grantee: IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
      }),
    );
  }
}
