/**
 * Where a command works: the embedded local stack under the state folder
 * (default), or a deployed stack with the default AWS credential chain
 * (`--target aws`), its names read from flags or the stack's outputs.
 */
import { join, resolve } from 'node:path';
import {
  CloudFormationClient,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbUploadStore } from '../adapters/dynamodb/upload-store.ts';
import { Env } from '../config/env.ts';
import { prefixFromOutputValue } from '../config/stack-outputs.ts';
import {
  type KeyPattern,
  parseKeyPattern,
} from '../core/manifest/key-pattern.ts';
import type { UploadStore } from '../core/ports.ts';
import {
  LocalStack,
  STATE_LOCK,
  StateDamagedError,
  StateInUseError,
} from '../local/stack.ts';
import { type Option, type Options, type Parsed, str } from './args.ts';
import {
  isCredentialsError,
  isRegionError,
  NO_CREDENTIALS,
  NO_REGION,
  RunError,
  UsageError,
} from './errors.ts';
import { writableFolder } from './folders.ts';
import { takeLock } from './lock.ts';

/** The local state folder, as every command that keeps state takes it. */
export const stateOption: Option = {
  type: 'string',
  value: 'DIR',
  help: 'local state folder (default .sentinel, or $SENTINEL_STATE)',
};

/**
 * Options of every command that works on a target: ingest, status, list,
 * backfill, digest.
 */
export const targetOptions: Options = {
  state: stateOption,
  target: { type: 'string', value: 'T', help: 'local (default) or aws' },
  stack: {
    type: 'string',
    value: 'NAME',
    awsOnly: true,
    help: 'the stack to read names from (default UploadSentinel)',
  },
  region: {
    type: 'string',
    value: 'REGION',
    awsOnly: true,
    help: 'AWS Region (default from your AWS config)',
  },
};

/** `targetOptions` plus `--table`, for the commands that read the index. */
export const indexOptions: Options = {
  ...targetOptions,
  table: {
    type: 'string',
    value: 'NAME',
    awsOnly: true,
    help: "the uploads table (instead of the stack's output)",
  },
};

export type Target = 'local' | 'aws';

/** The target `--target` names (default local; checked when parsed). */
export function targetOf(p: Parsed): Target {
  return str(p, 'target') === 'aws' ? 'aws' : 'local';
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
  /** Key prefix of the access logs (`*` for none: `awsPrefix`). */
  LogPrefix?: string;
  /** Key prefix of the watched recordings (`*` for the whole bucket). */
  RecordingPrefix?: string;
  IndexRetentionDays?: string;
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
  if (isCredentialsError(err))
    return new RunError(`${what}: ${NO_CREDENTIALS}`);
  if (isRegionError(err)) return new RunError(`${what}: ${NO_REGION}`);
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

/**
 * A key prefix of the deployed stack: `--FLAG` when given (`''` or `*` for
 * none), else its output. A stack deployed before it published the output
 * has none: then the flag is required, rather than a guess.
 */
export async function awsPrefix(
  p: Parsed,
  flag: string,
  output: 'LogPrefix' | 'RecordingPrefix',
): Promise<string> {
  const given = str(p, flag);
  if (given !== undefined) return prefixFromOutputValue(given);
  const v = (await stackOutputs(p))[output];
  if (v === undefined)
    throw new RunError(
      `no ${output} output on the stack (deployed by an older version?): redeploy it, or pass --${flag}`,
    );
  return prefixFromOutputValue(v);
}

/** Days from 1 to 36,500, as the stack's context accepts them. */
function days(v: string): number | null {
  const n = Number(v);
  return /^\d+$/.test(v) && n >= 1 && n <= 36_500 ? n : null;
}

/** The index retention of the deployed stack: `--FLAG`, else its output. */
export async function awsRetentionDays(
  p: Parsed,
  flag: string,
  output: 'IndexRetentionDays',
): Promise<number> {
  const given = str(p, flag);
  if (given !== undefined) {
    const n = days(given);
    if (n === null)
      throw new UsageError(
        `--${flag} must be a whole number of days from 1 to 36500, got '${given}'`,
      );
    return n;
  }
  const v = (await stackOutputs(p))[output];
  if (v === undefined)
    throw new RunError(
      `no ${output} output on the stack (deployed by an older version?): redeploy it, or pass --${flag}`,
    );
  const n = days(v);
  if (n === null)
    throw new RunError(
      `the stack's ${output} output is not a number of days: '${v}'; pass --${flag}`,
    );
  return n;
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

/**
 * The key pattern of manifest rows that give a call id, from
 * `SENTINEL_MANIFEST_KEY_PATTERN` (as the deployed ingest reads it); a
 * UsageError naming the variable when it is not a pattern.
 */
export function manifestKeyPatternFromEnv(): KeyPattern | null {
  const v = process.env[Env.MANIFEST_KEY_PATTERN]?.trim();
  if (v === undefined || v === '') return null;
  const parsed = parseKeyPattern(v);
  if (typeof parsed === 'string')
    throw new UsageError(`${Env.MANIFEST_KEY_PATTERN}: ${parsed}`);
  return parsed;
}

/**
 * Starts the local stack on the state folder: the folder checked (one line
 * and exit 2 when it cannot be one), then held with a lock file for the
 * length of the command, so a second command says the folder is in use
 * instead of failing inside the stand-ins; a damaged index is refused (exit
 * 2) before anything opens it.
 */
export async function startLocal(
  p: Parsed,
  o: { s3: boolean },
): Promise<LocalStack> {
  const manifestKeyPattern = manifestKeyPatternFromEnv();
  const from =
    str(p, 'state') !== undefined
      ? '--state'
      : process.env.SENTINEL_STATE !== undefined
        ? 'SENTINEL_STATE'
        : 'the state folder';
  const dir = await writableFolder(stateDir(p), from);
  const release = await takeLock(
    join(dir, STATE_LOCK),
    `the state folder ${dir}`,
  );
  try {
    return await LocalStack.start({
      stateDir: dir,
      s3: o.s3,
      onStop: release,
      manifestKeyPattern,
    });
  } catch (err) {
    await release();
    if (err instanceof StateInUseError)
      throw new RunError(err.message, { cause: err });
    if (err instanceof StateDamagedError)
      throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

export function awsS3(p: Parsed): S3Client {
  return new S3Client({ region: str(p, 'region') });
}
