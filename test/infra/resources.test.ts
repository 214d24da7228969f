/**
 * The stack's resources (docs/operations.md), for a deployment that watches an
 * existing bucket with every setting given: what each resource must
 * guarantee (encryption, public access, TLS, retention, batching, alarms,
 * the Glue table's partition projection against the real log layout).
 */
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { Env } from '../../config/env.ts';
import { prefixFromOutputValue } from '../../config/stack-outputs.ts';
import { parseLogObjectKey } from '../../core/access-log/log-object-key.ts';
import { SENTINEL_RUNTIME } from '../../infra/constructs/sentinel-function.ts';
import { StackOutput } from '../../infra/stack.ts';
import {
  FULL_CONTEXT,
  renderCfn,
  resourceOf,
  synthesize,
} from './support/synth.ts';

const s = synthesize(FULL_CONTEXT);
afterAll(() => s.cleanup());
const { stack, template } = s;

type Resource = { Properties: Record<string, unknown> } & Record<
  string,
  unknown
>;
const resources = (type: string): [string, Resource][] =>
  Object.entries(template.findResources(type)) as [string, Resource][];
const ref = (token: string) => stack.resolve(token);

/** Names the template's intrinsics as a deployment in one account would. */
const ACCOUNT = '111122223333';
const REGION = 'eu-west-3';
const LOG_BUCKET = 'sentinel-logs-example';

function asDeployed(value: unknown): string {
  const logBucketRef = renderCfn(ref(stack.logBucket.bucket.bucketName));
  return renderCfn(value, (intrinsic) => {
    if (intrinsic === 'Ref:AWS::AccountId') return ACCOUNT;
    if (intrinsic === 'Ref:AWS::Region') return REGION;
    if (`<<${intrinsic}>>` === logBucketRef) return LOG_BUCKET;
    return undefined;
  });
}

const envOf = (f: Resource): Record<string, unknown> =>
  (f.Properties.Environment as { Variables?: Record<string, unknown> })
    ?.Variables ?? {};

function functionByService(service: string): Resource {
  const found = resources('AWS::Lambda::Function').find(
    ([, f]) => envOf(f).POWERTOOLS_SERVICE_NAME === service,
  );
  if (found === undefined) throw new Error(`no function ${service}`);
  return found[1];
}

describe('buckets', () => {
  it('every bucket is SSE-S3 encrypted, blocks public access, has no ACLs and refuses plain HTTP', () => {
    const buckets = resources('AWS::S3::Bucket');
    // log bucket, Athena results, reports (the recordings bucket exists already)
    expect(buckets).toHaveLength(3);
    const policies = resources('AWS::S3::BucketPolicy');
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: {
          Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
        },
      });
      const policy = policies.find(
        ([, p]) => (p.Properties.Bucket as { Ref?: string }).Ref === id,
      );
      if (policy === undefined) throw new Error(`no bucket policy for ${id}`);
      expect(
        (policy[1].Properties.PolicyDocument as { Statement: unknown[] })
          .Statement,
      ).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('the log bucket keeps logs for logRetentionDays and is retained with the stack', () => {
    const logs = resourceOf(s, stack.logBucket.bucket);
    expect(logs).toMatchObject({
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
    });
    expect(logs.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' }),
      ],
    });
  });

  it('the log bucket policy admits only the logging service, for the recordings bucket and this account', () => {
    const policy = resources('AWS::S3::BucketPolicy').find(
      ([, p]) =>
        JSON.stringify(p.Properties.Bucket) ===
        JSON.stringify(ref(stack.logBucket.bucket.bucketName)),
    );
    if (policy === undefined) throw new Error('no log bucket policy');
    const allows = (
      policy[1].Properties.PolicyDocument as {
        Statement: { Effect: string }[];
      }
    ).Statement.filter((st) => st.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Sid: 'AdmitServerAccessLogsOfTheRecordingsBucket',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        // The recordings bucket's own folder of the partitioned layout, not
        // the whole log prefix.
        Resource: ref(
          stack.logBucket.bucket.arnForObjects(
            `s3-access-logs/${stack.account}/${stack.region}/acme-call-recordings/*`,
          ),
        ),
        Condition: {
          ArnLike: {
            'aws:SourceArn': ref(stack.recordings.bucket.bucketArn),
          },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
  });

  it('Athena results are encrypted in their own bucket and expire after 7 days', () => {
    const results = stack.analytics.resultsBucket;
    expect(resourceOf(s, results).Properties.LifecycleConfiguration).toEqual({
      Rules: [
        expect.objectContaining({ ExpirationInDays: 7, Status: 'Enabled' }),
      ],
    });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: ref(results.s3UrlForObject('results/')),
        },
      },
    });
  });
});

describe('server access logging of the existing recordings bucket', () => {
  const custom = resources('Custom::ServerAccessLogging');
  const call = (phase: 'Create' | 'Update' | 'Delete') =>
    JSON.parse(asDeployed(custom[0]?.[1].Properties[phase])) as {
      action: string;
      parameters: Record<string, unknown>;
    };

  it('turns logging on with PutBucketLogging: partitioned prefix by event time, into the log bucket', () => {
    expect(custom).toHaveLength(1);
    for (const phase of ['Create', 'Update'] as const) {
      expect(call(phase)).toMatchObject({
        service: 'S3',
        action: 'PutBucketLogging',
        parameters: {
          Bucket: 'acme-call-recordings',
          BucketLoggingStatus: {
            LoggingEnabled: {
              TargetBucket: LOG_BUCKET,
              TargetPrefix: 's3-access-logs/',
              TargetObjectKeyFormat: {
                PartitionedPrefix: { PartitionDateSource: 'EventTime' },
              },
            },
          },
          ExpectedBucketOwner: ACCOUNT,
        },
      });
    }
  });

  it('turns it off when the stack is deleted', () => {
    expect(call('Delete').parameters).toEqual({
      Bucket: 'acme-call-recordings',
      BucketLoggingStatus: {},
      ExpectedBucketOwner: ACCOUNT,
    });
  });
});

describe('ingestion', () => {
  const ingest = functionByService('upload-sentinel-ingest');
  const queue = stack.ingestion.queue;
  const dlq = stack.ingestion.deadLetterQueue;

  it('an encrypted queue whose visibility timeout exceeds six times the function timeout, redriving to an encrypted DLQ after 3 receives', () => {
    const q = template.toJSON().Resources[
      stack.getLogicalId(queue.node.defaultChild as CfnElement)
    ] as Resource;
    expect(q.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: ref(dlq.queueArn),
        maxReceiveCount: 3,
      },
    });
    const timeout = ingest.Properties.Timeout as number;
    expect(q.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86400,
      RedrivePolicy: Match.absent(),
    });
    for (const qp of resources('AWS::SQS::QueuePolicy')) {
      expect(
        (qp[1].Properties.PolicyDocument as { Statement: unknown[] }).Statement,
      ).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('S3 sends new objects under the log prefix (and manifests under theirs) of the log bucket to the queue', () => {
    const to = (prefix: string) => ({
      Events: ['s3:ObjectCreated:*'],
      QueueArn: ref(queue.queueArn),
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } },
    });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: ref(stack.logBucket.bucket.bucketName),
      NotificationConfiguration: {
        QueueConfigurations: [to('s3-access-logs/'), to('manifests/')],
      },
    });
  });

  it('the queue admits S3 for the log bucket of this account only: aws:SourceArn and aws:SourceAccount', () => {
    const policies = resources('AWS::SQS::QueuePolicy').filter(([, p]) =>
      JSON.stringify(p.Properties?.Queues).includes(
        JSON.stringify(ref(queue.queueUrl)),
      ),
    );
    const fromS3 = policies.flatMap(([, p]) => {
      const doc = p.Properties?.PolicyDocument as
        | { Statement?: Record<string, unknown>[] }
        | undefined;
      return (doc?.Statement ?? []).filter(
        (st) =>
          JSON.stringify(st.Principal) ===
          JSON.stringify({ Service: 's3.amazonaws.com' }),
      );
    });
    expect(fromS3).toHaveLength(1);
    expect(fromS3[0]).toMatchObject({
      Effect: 'Allow',
      Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
      Condition: {
        ArnLike: { 'aws:SourceArn': ref(stack.logBucket.bucket.bucketArn) },
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      },
    });
  });

  it('the ingest reads batches of 25 within 30 s and reports partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ref(queue.queueArn),
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 30,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('alarms go to the admin topic when the DLQ is not empty and when the ingest errors', () => {
    const topic = ref(stack.adminTopic.topic.topicArn);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: ref(dlq.queueName) }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: ref(stack.ingestion.function.functionName),
        },
      ],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      AlarmActions: [topic],
    });
  });
});

describe('uploads table', () => {
  it('on demand, point-in-time recovery, deletion protection, TTL on expiresAt, the byHour KEYS_ONLY index, retained', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byHour',
            KeySchema: [
              { AttributeName: 'hour', KeyType: 'HASH' },
              { AttributeName: 'pk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: {
              PointInTimeRecoveryEnabled: true,
            },
          }),
        ],
      },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('functions', () => {
  const latestNode = Runtime.ALL.filter((r) => /^nodejs\d/.test(r.name))
    .map((r) => r.name)
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .at(-1);

  it('every function of ours runs the latest Node.js runtime on arm64 with Powertools configured', () => {
    const ours = resources('AWS::Lambda::Function').filter(
      ([, f]) => envOf(f).POWERTOOLS_SERVICE_NAME !== undefined,
    );
    // ingest, status, and the digest's resolve-day, reconcile,
    // check-recipients and send-digest
    expect(ours).toHaveLength(6);
    expect(SENTINEL_RUNTIME.name).toBe(latestNode);
    for (const [, f] of ours) {
      expect(f.Properties).toMatchObject({
        Runtime: latestNode,
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
      expect(envOf(f)).toMatchObject({
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^upload-sentinel-/),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_NAMESPACE: 'UploadSentinel',
      });
    }
  });

  it('the ingest gets the table, retention, stall window, prefixes, concurrency and alert topic by their config/env.ts names', () => {
    expect(envOf(functionByService('upload-sentinel-ingest'))).toMatchObject({
      [Env.TABLE_NAME]: ref(stack.table.table.tableName),
      [Env.RETENTION_DAYS]: '200',
      [Env.STALL_WINDOW]: '4h',
      [Env.WATCH_PREFIX]: 'calls/',
      [Env.LOG_PREFIX]: 's3-access-logs/',
      [Env.INGEST_CONCURRENCY]: '4',
      [Env.ALERT_TOPIC_ARN]: ref(stack.adminTopic.topic.topicArn),
    });
  });

  it('the status function gets the table, stall window and time zone, behind an IAM-authorised URL', () => {
    expect(envOf(functionByService('upload-sentinel-status'))).toMatchObject({
      [Env.TABLE_NAME]: ref(stack.table.table.tableName),
      [Env.STALL_WINDOW]: '4h',
      [Env.TIME_ZONE]: 'Europe/Paris',
    });
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: ref(stack.statusApi.function.functionArn),
    });
  });
});

describe('admin topic', () => {
  it('is encrypted with a rotating key, TLS-only, with the admin e-mail subscribed', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: ref(stack.adminTopic.key.keyArn),
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@acme.example',
      TopicArn: ref(stack.adminTopic.topic.topicArn),
    });
  });

  it("lets this account's CloudWatch alarms, and only them, publish through the topic and its key", () => {
    const statements = [
      ...resources('AWS::SNS::TopicPolicy').flatMap(
        ([, r]) =>
          (r.Properties.PolicyDocument as { Statement: unknown[] }).Statement,
      ),
      ...resources('AWS::KMS::Key').flatMap(
        ([, r]) =>
          (r.Properties.KeyPolicy as { Statement: unknown[] }).Statement,
      ),
    ] as {
      Principal?: { Service?: string };
      Action: string | string[];
      Condition?: Record<string, Record<string, unknown>>;
    }[];
    const cloudwatch = statements.filter(
      (st) => st.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(cloudwatch.map((st) => st.Action)).toEqual([
      'sns:Publish',
      ['kms:Decrypt', 'kms:GenerateDataKey'],
    ]);
    for (const st of cloudwatch) {
      expect(renderCfn(st.Condition?.StringEquals?.['aws:SourceAccount'])).toBe(
        '<<Ref:AWS::AccountId>>',
      );
      expect(renderCfn(st.Condition?.ArnLike?.['aws:SourceArn'])).toBe(
        'arn:<<Ref:AWS::Partition>>:cloudwatch:<<Ref:AWS::Region>>:<<Ref:AWS::AccountId>>:alarm:*',
      );
    }
  });
});

describe('Glue table over the access logs', () => {
  const table = resources('AWS::Glue::Table')[0]?.[1].Properties.TableInput as {
    Name: string;
    Parameters: Record<string, unknown>;
    PartitionKeys: { Name: string }[];
    StorageDescriptor: {
      Location: unknown;
      SerdeInfo: { SerializationLibrary: string };
    };
  };

  it('projects date partitions yyyy/MM/dd, one day apart, up to now', () => {
    expect(table.PartitionKeys.map((k) => k.Name)).toEqual(['timestamp']);
    expect(table.Parameters).toMatchObject({
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      'projection.timestamp.type': 'date',
      'projection.timestamp.format': 'yyyy/MM/dd',
      'projection.timestamp.interval': '1',
      'projection.timestamp.interval.unit': 'DAYS',
      'projection.timestamp.range': '2024/01/01,NOW',
    });
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.apache.hadoop.hive.serde2.RegexSerDe',
    );
  });

  it('its partition folders are where S3 writes the logs, and where the ingest and the notification look', () => {
    // A log object as S3 names it with PartitionedPrefix and EventTime.
    const key = `s3-access-logs/${ACCOUNT}/${REGION}/acme-call-recordings/2025/03/30/2025-03-30-01-12-54-0A1B2C3D4E5F6A7B`;
    // Athena substitutes the partition value for the ${timestamp} placeholder.
    const placeholder = ['$', '{timestamp}'].join('');
    const location = asDeployed(table.Parameters['storage.location.template']);
    expect(location.replace(placeholder, '2025/03/30')).toBe(
      `s3://${LOG_BUCKET}/${key.slice(0, key.lastIndexOf('/'))}`,
    );
    expect(asDeployed(table.StorageDescriptor.Location)).toBe(
      `s3://${LOG_BUCKET}/s3-access-logs/${ACCOUNT}/${REGION}/acme-call-recordings/`,
    );
    // The ingest's prefix reads it as a partitioned log object of that date.
    const prefix = envOf(functionByService('upload-sentinel-ingest'))[
      Env.LOG_PREFIX
    ] as string;
    expect(parseLogObjectKey(key, prefix)).toEqual({
      layout: 'partitioned',
      date: '2025-03-30',
      accountId: ACCOUNT,
      region: REGION,
      sourceBucket: 'acme-call-recordings',
    });
    // The S3 notification's prefix filter lets it through.
    const notifications = resources('Custom::S3BucketNotifications')[0]?.[1]
      .Properties.NotificationConfiguration as {
      QueueConfigurations: {
        Filter: { Key: { FilterRules: { Value: unknown }[] } };
      }[];
    };
    const filter = asDeployed(
      notifications.QueueConfigurations[0]?.Filter.Key.FilterRules[0]?.Value,
    );
    expect(key.startsWith(filter)).toBe(true);
  });
});

describe('outputs', () => {
  it('publishes the names the CLI reads with --target aws, under their exact keys', () => {
    const outputs = template.toJSON().Outputs as Record<
      string,
      { Value: unknown }
    >;
    expect(Object.keys(outputs).sort()).toEqual(
      Object.values(StackOutput).sort(),
    );
    expect(outputs.TableName?.Value).toEqual(ref(stack.table.table.tableName));
    expect(outputs.LogBucketName?.Value).toEqual(
      ref(stack.logBucket.bucket.bucketName),
    );
    expect(outputs.StateMachineArn?.Value).toEqual(
      ref(stack.digest.stateMachine.stateMachineArn),
    );
    expect(outputs.StatusUrl?.Value).toEqual(ref(stack.statusApi.url.url));
    expect(outputs.QueueUrl?.Value).toEqual(
      ref(stack.ingestion.queue.queueUrl),
    );
    expect(outputs.DeadLetterQueueUrl?.Value).toEqual(
      ref(stack.ingestion.deadLetterQueue.queueUrl),
    );
    expect(outputs.RecordingsBucketName?.Value).toBe('acme-call-recordings');
    expect(outputs.ReportsBucketName?.Value).toEqual(
      ref(stack.digest.reportsBucket.bucketName),
    );
  });

  it('publishes the log prefix, recording prefix and index retention the ingest function applies', () => {
    const outputs = template.toJSON().Outputs as Record<
      string,
      { Value: unknown }
    >;
    expect(outputs.LogPrefix?.Value).toBe('s3-access-logs/');
    expect(outputs.RecordingPrefix?.Value).toBe('calls/');
    expect(outputs.IndexRetentionDays?.Value).toBe('200');
    // Exactly what the ingest function reads, as the CLI decodes them.
    const env = envOf(functionByService('upload-sentinel-ingest'));
    expect(prefixFromOutputValue(outputs.LogPrefix?.Value as string)).toBe(
      env[Env.LOG_PREFIX],
    );
    expect(
      prefixFromOutputValue(outputs.RecordingPrefix?.Value as string),
    ).toBe(env[Env.WATCH_PREFIX]);
    expect(outputs.IndexRetentionDays?.Value).toBe(env[Env.RETENTION_DAYS]);
    // And the prefix the log bucket raises its S3 events for.
    const notifications = resources('Custom::S3BucketNotifications')[0]?.[1]
      .Properties.NotificationConfiguration as {
      QueueConfigurations: {
        Filter: { Key: { FilterRules: { Name: string; Value: unknown }[] } };
      }[];
    };
    expect(
      notifications.QueueConfigurations.map((q) => q.Filter.Key.FilterRules),
    ).toEqual([
      [{ Name: 'prefix', Value: outputs.LogPrefix?.Value }],
      [{ Name: 'prefix', Value: outputs.ManifestPrefix?.Value }],
    ]);
    expect(outputs.ManifestPrefix?.Value).toBe(env[Env.MANIFEST_PREFIX]);
  });
});
