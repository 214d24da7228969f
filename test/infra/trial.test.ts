/**
 * A fresh clone with no context at all: the stack creates a recordings
 * bucket for a trial and turns its server access logging on natively (no
 * custom resource), and says at synth what is left unset.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { prefixFromOutputValue } from '../../config/stack-outputs.ts';
import {
  allow,
  permissionsOfFunction,
  renderToken,
  resourceOf,
  sortPermissions,
  synthesize,
} from './support/synth.ts';

const s = synthesize();
afterAll(() => s.cleanup());
const { stack, template } = s;
const ref = (token: string) => stack.resolve(token);

describe('trial deployment (no context)', () => {
  it('creates an encrypted, private, TLS-only recordings bucket that logs to the log bucket by event time', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
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
        LoggingConfiguration: {
          DestinationBucketName: ref(stack.logBucket.bucket.bucketName),
          LogFilePrefix: 's3-access-logs/',
          TargetObjectKeyFormat: {
            PartitionedPrefix: { PartitionDateSource: 'EventTime' },
          },
        },
      }),
      DeletionPolicy: 'Retain',
    });
    expect(Object.keys(template.findResources('AWS::S3::Bucket'))).toHaveLength(
      4,
    );
    template.resourceCountIs('Custom::ServerAccessLogging', 0);
  });

  it("the log bucket admits the logging service for the new bucket's folder and this account only", () => {
    const policy = stack.logBucket.bucket.policy;
    if (policy === undefined) throw new Error('no log bucket policy');
    const statements = (
      resourceOf(s, policy).Properties.PolicyDocument as {
        Statement: { Effect: string }[];
      }
    ).Statement;
    const recordings = stack.recordings.bucket;
    // This one statement only: not CDK's for `serverAccessLogsBucket` too,
    // which would admit the whole log prefix.
    expect(statements.filter((st) => st.Effect === 'Allow')).toEqual([
      {
        Sid: 'AdmitServerAccessLogsOfTheRecordingsBucket',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: ref(
          stack.logBucket.bucket.arnForObjects(
            `s3-access-logs/${stack.account}/${stack.region}/${recordings.bucketName}/*`,
          ),
        ),
        Condition: {
          ArnLike: { 'aws:SourceArn': ref(recordings.bucketArn) },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
  });

  it('defaults: UTC at 06:00, 6 h stall window, 400 days of logs and index, no e-mail subscription', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'upload-sentinel-ingest',
          SENTINEL_STALL_WINDOW: '6h',
          SENTINEL_RETENTION_DAYS: '400',
          SENTINEL_WATCH_PREFIX: '',
          SENTINEL_ALERT_TOPIC_ARN: Match.absent(),
        }),
      },
    });
    expect(
      resourceOf(s, stack.logBucket.bucket).Properties.LifecycleConfiguration,
    ).toEqual({
      Rules: [
        expect.objectContaining({ ExpirationInDays: 400, Status: 'Enabled' }),
      ],
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('publishes the empty recording prefix as * (an output is never empty), which the CLI reads as the whole bucket', () => {
    const outputs = template.toJSON().Outputs as Record<
      string,
      { Value: unknown }
    >;
    expect(outputs.RecordingPrefix?.Value).toBe('*');
    expect(prefixFromOutputValue('*')).toBe('');
    expect(outputs.LogPrefix?.Value).toBe('s3-access-logs/');
    expect(outputs.IndexRetentionDays?.Value).toBe('400');
    for (const [key, o] of Object.entries(outputs))
      expect(o.Value, key).not.toBe('');
  });

  it('warns at synth that nobody receives alarms or digests', () => {
    const warnings = Annotations.fromStack(stack)
      .findWarning('*', Match.anyValue())
      .map((w) => String(w.entry.data));
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('adminEmail is not set'),
        expect.stringContaining('digestRecipients is not set'),
      ]),
    );
  });

  it('without recordingPrefix, the reconcile checks the whole recordings bucket (HeadObject, unconditioned ListBucket)', () => {
    const bucket = stack.recordings.bucket;
    const perms = permissionsOfFunction(template, 'upload-sentinel-reconcile');
    const s3 = perms.filter(
      (p) =>
        p.action.startsWith('s3:') &&
        p.resource.startsWith(renderToken(stack, bucket.bucketArn)),
    );
    expect(s3).toEqual(
      sortPermissions([
        ...allow(stack, ['s3:GetObject'], [bucket.arnForObjects('*')]),
        ...allow(
          stack,
          ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
          [bucket.bucketArn],
        ),
      ]),
    );
  });

  it('no SES permission without a digest sender', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('ses:');
  });
});
