/**
 * Least privilege, function by function: the complete list of what each
 * role may do, one (action, resource) pair at a time, so a new or widened
 * grant fails here. Resources are named through the constructs, never by
 * logical ID.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  allow,
  FULL_CONTEXT,
  permissionsOfFunction,
  permissionsOfRole,
  renderToken,
  sortPermissions,
  synthesize,
} from './support/synth.ts';

const s = synthesize(FULL_CONTEXT);
afterAll(() => s.cleanup());

const { stack, template } = s;
const table = stack.table;
const logGroupWrite = (fn: { logGroup: { logGroupArn: string } }) =>
  allow(
    stack,
    ['logs:CreateLogStream', 'logs:PutLogEvents'],
    [fn.logGroup.logGroupArn],
  );
const publishAdmin = [
  ...allow(stack, ['sns:Publish'], [stack.adminTopic.topic.topicArn]),
  ...allow(
    stack,
    ['kms:Decrypt', 'kms:GenerateDataKey'],
    [stack.adminTopic.key.keyArn],
  ),
];
const lookups = allow(
  stack,
  ['dynamodb:Query'],
  [table.table.tableArn, table.hourIndexArn],
);
const resultObjects = stack.analytics.resultsBucket.arnForObjects('results/*');
const reportObjects = stack.digest.reportsBucket.arnForObjects('digests/*');
const region = '<<Ref:AWS::Region>>';
const account = '<<Ref:AWS::AccountId>>';
const partition = '<<Ref:AWS::Partition>>';
const recordingsArn = `arn:${partition}:s3:::acme-call-recordings`;

/** Properties of the Lambda functions that run as this role (resolved ARN). */
function functionsWithRole(roleArn: unknown): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::Lambda::Function'))
    .map((f) => f.Properties as Record<string, unknown>)
    .filter((p) => JSON.stringify(p.Role) === JSON.stringify(roleArn));
}

describe('IAM, per function', () => {
  it('ingest: its log group, merges into the table, the index, log objects under the prefix, manifests under theirs, its queue, the alert topic', () => {
    const fn = stack.ingestion.function;
    expect(permissionsOfFunction(template, 'upload-sentinel-ingest')).toEqual(
      sortPermissions([
        ...logGroupWrite(fn),
        ...allow(
          stack,
          [
            'dynamodb:BatchWriteItem',
            'dynamodb:DeleteItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
          ],
          [table.table.tableArn],
        ),
        ...allow(stack, ['dynamodb:Query'], [table.hourIndexArn]),
        ...allow(
          stack,
          ['s3:GetObject'],
          [stack.logBucket.bucket.arnForObjects('s3-access-logs/*')],
        ),
        ...allow(
          stack,
          ['s3:GetObject'],
          [stack.logBucket.bucket.arnForObjects('manifests/*')],
        ),
        ...allow(
          stack,
          [
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:GetQueueUrl',
            'sqs:ReceiveMessage',
          ],
          [stack.ingestion.queue.queueArn],
        ),
        ...publishAdmin,
      ]),
    );
  });

  it('status API: lookups only (Query on the table and on the index, no Scan)', () => {
    expect(permissionsOfFunction(template, 'upload-sentinel-status')).toEqual(
      sortPermissions([...logGroupWrite(stack.statusApi.function), ...lookups]),
    );
  });

  it('resolve-day: nothing but its log group', () => {
    expect(
      permissionsOfFunction(template, 'upload-sentinel-resolve-day'),
    ).toEqual(logGroupWrite(stack.digest.functions.resolveDay));
  });

  it('reconcile: reads and repairs the index, reads the Athena results, checks the watched recordings with S3, writes reports, reads the dead-letter queue depth, sends the alerts held until the day settled', () => {
    expect(
      permissionsOfFunction(template, 'upload-sentinel-reconcile'),
    ).toEqual(
      sortPermissions([
        ...logGroupWrite(stack.digest.functions.reconcile),
        // Query: a key's items and the day's receipts (pk L#<date>); the
        // merge of what only Athena saw: BatchWriteItem, and PutItem for a
        // batch that fails whole; held alerts: claims (PutItem), a claim
        // given back and a held alert handled (DeleteItem). No Scan, no
        // UpdateItem.
        ...allow(
          stack,
          [
            'dynamodb:BatchWriteItem',
            'dynamodb:DeleteItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
          ],
          [table.table.tableArn],
        ),
        ...allow(stack, ['dynamodb:Query'], [table.hourIndexArn]),
        ...allow(
          stack,
          ['athena:GetQueryResults'],
          [stack.analytics.workGroupArn],
        ),
        ...allow(stack, ['s3:GetObject'], [resultObjects]),
        {
          action: 's3:ListBucketMultipartUploads',
          resource: recordingsArn,
        },
        // HeadObject: GetObject under the watched prefix, and ListBucket
        // (same prefix) so a missing recording is a 404, not a 403.
        { action: 's3:GetObject', resource: `${recordingsArn}/calls/*` },
        {
          action: 's3:ListBucket',
          resource: recordingsArn,
          condition: JSON.stringify({
            StringLike: { 's3:prefix': ['calls/*'] },
          }),
        },
        ...allow(stack, ['s3:PutObject'], [reportObjects]),
        ...allow(
          stack,
          ['sqs:GetQueueAttributes'],
          [stack.ingestion.deadLetterQueue.queueArn],
        ),
        ...publishAdmin,
      ]),
    );
  });

  it('check-recipients: SES verification status only', () => {
    expect(
      permissionsOfFunction(template, 'upload-sentinel-check-recipients'),
    ).toEqual(
      sortPermissions([
        ...logGroupWrite(stack.digest.functions.checkRecipients),
        { action: 'ses:GetIdentityVerificationAttributes', resource: '*' },
      ]),
    );
  });

  it('send-digest: reads and writes reports under digests/, sends as the sender to the configured identities only', () => {
    const identity = (id: string) =>
      `arn:${partition}:ses:${region}:${account}:identity/${id}`;
    const fromSender = JSON.stringify({
      StringEquals: { 'ses:FromAddress': 'sentinel@acme.example' },
    });
    expect(
      permissionsOfFunction(template, 'upload-sentinel-send-digest'),
    ).toEqual(
      sortPermissions([
        ...logGroupWrite(stack.digest.functions.sendDigest),
        ...allow(stack, ['s3:GetObject', 's3:PutObject'], [reportObjects]),
        ...[
          'sentinel@acme.example',
          'acme.example',
          'compliance@acme.example',
          'audit@partner.example',
          'partner.example',
        ].map((id) => ({
          action: 'ses:SendRawEmail',
          resource: identity(id),
          condition: fromSender,
        })),
      ]),
    );
  });

  it('state machine: invokes its four functions, runs the Athena query over one folder, alerts the admin', () => {
    const sm = stack.digest.stateMachine;
    const logs = stack.logBucket.bucket;
    const folder = `${renderToken(stack, logs.bucketArn)}/s3-access-logs/${account}/${region}/acme-call-recordings/`;
    const glue = (resource: string) =>
      `arn:${partition}:glue:${region}:${account}:${resource}`;
    const db = stack.analytics.databaseName;
    expect(Object.keys(stack.digest.functions)).toHaveLength(4);
    expect(permissionsOfRole(template, stack.resolve(sm.role.roleArn))).toEqual(
      sortPermissions([
        // Logging and tracing: APIs without resource-level permissions.
        ...allow(
          stack,
          [
            'logs:CreateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:DescribeLogGroups',
            'logs:DescribeResourcePolicies',
            'logs:GetLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:UpdateLogDelivery',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
            'xray:PutTelemetryRecords',
            'xray:PutTraceSegments',
          ],
          ['*'],
        ),
        ...allow(
          stack,
          ['lambda:InvokeFunction'],
          Object.values(stack.digest.functions).map((f) => f.functionArn),
        ),
        // startQueryExecution.sync: start, poll, stop; the results are read
        // by the reconcile function, not here.
        ...allow(
          stack,
          [
            'athena:GetQueryExecution',
            'athena:StartQueryExecution',
            'athena:StopQueryExecution',
          ],
          [stack.analytics.workGroupArn],
        ),
        {
          action: 'athena:GetDataCatalog',
          resource: `arn:${partition}:athena:${region}:${account}:datacatalog/AwsDataCatalog`,
        },
        ...allow(
          stack,
          ['glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable'],
          [
            glue('catalog'),
            glue(`database/${db}`),
            glue(`table/${db}/access_log`),
          ],
        ),
        ...allow(stack, ['s3:GetBucketLocation'], [logs.bucketArn]),
        {
          action: 's3:ListBucket',
          resource: renderToken(stack, logs.bucketArn),
          condition: JSON.stringify(
            stack.resolve({
              StringLike: {
                's3:prefix': [
                  `s3-access-logs/${stack.account}/${stack.region}/acme-call-recordings/*`,
                ],
              },
            }),
          ),
        },
        { action: 's3:GetObject', resource: `${folder}*` },
        ...allow(
          stack,
          ['s3:GetBucketLocation', 's3:ListBucket'],
          [stack.analytics.resultsBucket.bucketArn],
        ),
        ...allow(
          stack,
          [
            's3:AbortMultipartUpload',
            's3:GetObject',
            's3:ListMultipartUploadParts',
            's3:PutObject',
          ],
          [resultObjects],
        ),
        ...publishAdmin,
      ]),
    );
  });

  it('schedule: starts this state machine only', () => {
    const schedule = Object.values(
      template.findResources('AWS::Scheduler::Schedule'),
    )[0];
    const target = schedule?.Properties.Target as { RoleArn: unknown };
    expect(permissionsOfRole(template, target.RoleArn)).toEqual(
      allow(
        stack,
        ['states:StartExecution'],
        [stack.digest.stateMachine.stateMachineArn],
      ),
    );
  });

  it('the PutBucketLogging custom resource may change the recordings bucket logging only, and write its own log group', () => {
    const custom = Object.values(
      template.findResources('Custom::ServerAccessLogging'),
    );
    expect(custom).toHaveLength(1);
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy'),
    ).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes(
        's3:PutBucketLogging',
      ),
    );
    expect(policies).toHaveLength(1);
    const logging = stack.recordings.serverAccessLogging;
    if (logging === undefined) throw new Error('no ServerAccessLogging');
    const { logGroup } = logging;
    const roleArn = stack.resolve(logging.role.roleArn);
    expect(permissionsOfRole(template, roleArn)).toEqual(
      sortPermissions([
        ...logGroupWrite({ logGroup }),
        { action: 's3:PutBucketLogging', resource: recordingsArn },
      ]),
    );
    // CDK's function behind the custom resource runs as that role and logs
    // to that group.
    expect(functionsWithRole(roleArn)).toEqual([
      expect.objectContaining({
        LoggingConfig: { LogGroup: stack.resolve(logGroup.logGroupName) },
      }),
    ]);
  });

  it("CDK's bucket notifications handler may write the log bucket's notification configuration and its own log group, nothing else", () => {
    const logs = stack.logBucket;
    const roleArn = stack.resolve(logs.notificationsHandlerRole.roleArn);
    expect(permissionsOfRole(template, roleArn)).toEqual(
      sortPermissions([
        ...logGroupWrite({ logGroup: logs.notificationsHandlerLogs }),
        ...allow(stack, ['s3:PutBucketNotification'], [logs.bucket.bucketArn]),
      ]),
    );
    expect(functionsWithRole(roleArn)).toEqual([
      expect.objectContaining({
        Description: expect.stringContaining('Custom::S3BucketNotifications'),
        LoggingConfig: {
          LogGroup: stack.resolve(logs.notificationsHandlerLogs.logGroupName),
        },
      }),
    ]);
    // The one function that writes bucket notifications.
    const services = Object.values(
      template.findResources('Custom::S3BucketNotifications'),
    ).map((r) => r.Properties.ServiceToken);
    const handlers = Object.entries(
      template.findResources('AWS::Lambda::Function'),
    ).filter(
      ([, f]) => JSON.stringify(f.Properties.Role) === JSON.stringify(roleArn),
    );
    expect(services).toEqual(
      handlers.map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
    );
  });

  it('no role has a managed policy or inline policies of its own: its grants are the AWS::IAM::Policy statements checked here', () => {
    for (const role of Object.values(
      template.findResources('AWS::IAM::Role'),
    )) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
    }
  });

  it('no policy allows a wildcard action, and `*` resources only go with actions that have no resource-level permissions', () => {
    const stars = new Set<string>();
    for (const policy of Object.values(
      template.findResources('AWS::IAM::Policy'),
    )) {
      const doc = policy.Properties.PolicyDocument as {
        Statement: { Effect: string; Action: unknown; Resource: unknown }[];
      };
      for (const st of doc.Statement) {
        if (st.Effect !== 'Allow') continue;
        const actions = ([] as string[]).concat(st.Action as string[]);
        for (const a of actions) expect(a).not.toContain('*');
        const resources = ([] as unknown[]).concat(st.Resource);
        if (resources.includes('*')) for (const a of actions) stars.add(a);
      }
    }
    expect([...stars].sort()).toEqual([
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:DescribeLogGroups',
      'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:UpdateLogDelivery',
      'ses:GetIdentityVerificationAttributes',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });
});
