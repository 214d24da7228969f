/**
 * Where a command works: the embedded local stack under the state folder
 * (default), or a deployed stack with the default AWS credential chain
 * (`--target aws`), its names read from flags or the stack's outputs.
 */
import { resolve } from 'node:path';
import {
  CloudFormationClient,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbUploadStore } from '../adapters/dynamodb/upload-store.ts';
import type { UploadStore } from '../core/ports.ts';
import { LocalStack, StateInUseError } from '../local/stack.ts';
import { type Flags, type Parsed, str } from './args.ts';
import { RunError, UsageError } from './errors.ts';

/** Flags every command that touches the index accepts. */
export const targetFlags: Flags = {
  state: { type: 'string' },
  target: { type: 'string' },
  stack: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
};

export const targetHelp = `  --state DIR            local state folder (default .sentinel, or $SENTINEL_STATE)
  --target T             local (default) or aws
  --stack NAME           with --target aws: the stack to read names from (default UploadSentinel)
  --table NAME           with --target aws: the uploads table (instead of the stack's output)
  --region REGION        with --target aws: AWS Region (default from your AWS config)`;

export type Target = 'local' | 'aws';

export function targetOf(p: Parsed): Target {
  const t = str(p, 'target') ?? 'local';
  if (t !== 'local' && t !== 'aws')
    throw new UsageError(`--target must be local or aws, got '${t}'`);
  return t;
}

export function stateDir(p: Parsed): string {
  return resolve(str(p, 'state') ?? process.env.SENTINEL_STATE ?? '.sentinel');
}

/** The names a deployed stack publishes as CloudFormation outputs. */
export interface StackNames {
  TableName?: string;
  LogBucketName?: string;
  StateMachineArn?: string;
  StatusUrl?: string;
  QueueUrl?: string;
  DeadLetterQueueUrl?: string;
  RecordingsBucketName?: string;
}

let outputsCache: StackNames | undefined;

export async function stackOutputs(p: Parsed): Promise<StackNames> {
  if (outputsCache !== undefined) return outputsCache;
  const name = str(p, 'stack') ?? 'UploadSentinel';
  const cfn = new CloudFormationClient({ region: str(p, 'region') });
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    const outputs: StackNames = {};
    for (const o of out.Stacks?.[0]?.Outputs ?? []) {
      if (o.OutputKey && o.OutputValue)
        (outputs as Record<string, string>)[o.OutputKey] = o.OutputValue;
    }
    outputsCache = outputs;
    return outputs;
  } catch (err) {
    throw awsError(err, `cannot read the outputs of stack ${name}`);
  } finally {
    cfn.destroy();
  }
}

/** One line for an AWS failure: what happened and what to do. */
export function awsError(err: unknown, what: string): RunError {
  const e = err as { name?: string; message?: string };
  if (
    e.name === 'CredentialsProviderError' ||
    /credential/i.test(e.message ?? '')
  ) {
    return new RunError(
      `${what}: no AWS credentials found (set AWS_PROFILE or run 'aws configure'), or use --target local`,
    );
  }
  if (e.name === 'ValidationError' && /does not exist/.test(e.message ?? '')) {
    return new RunError(
      `${what}: the stack does not exist in this account and Region (deploy it, or pass --stack/--region)`,
    );
  }
  return new RunError(
    `${what}: ${e.name ?? 'Error'}: ${(e.message ?? String(err)).split('\n')[0]}`,
    { cause: err },
  );
}

export async function awsName(
  p: Parsed,
  flag: string,
  output: keyof StackNames,
): Promise<string> {
  const v = str(p, flag) ?? (await stackOutputs(p))[output];
  if (v === undefined)
    throw new RunError(`no ${output} output on the stack: pass --${flag}`);
  return v;
}

export interface IndexHandle {
  store: UploadStore;
  where: string;
  close(): Promise<void>;
}

/** Opens the uploads index of the target. */
export async function openIndex(p: Parsed): Promise<IndexHandle> {
  if (targetOf(p) === 'aws') {
    const tableName = await awsName(p, 'table', 'TableName');
    const client = new DynamoDBClient({
      region: str(p, 'region'),
      maxAttempts: 6,
    });
    return {
      store: new DynamoDbUploadStore({ client, tableName, retentionDays: 400 }),
      where: `DynamoDB table ${tableName}`,
      close: async () => client.destroy(),
    };
  }
  const stack = await startLocal(p, { s3: false });
  return {
    store: stack.store,
    where: `local state ${stack.stateDir}`,
    close: () => stack.stop(),
  };
}

export async function startLocal(
  p: Parsed,
  o: { s3: boolean },
): Promise<LocalStack> {
  try {
    return await LocalStack.start({ stateDir: stateDir(p), s3: o.s3 });
  } catch (err) {
    if (err instanceof StateInUseError) throw new RunError(err.message);
    throw err;
  }
}

export function awsS3(p: Parsed): S3Client {
  return new S3Client({ region: str(p, 'region') });
}
