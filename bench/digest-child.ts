/**
 * One local digest run, in its own process so its peak RSS is the digest's
 * (and its stand-ins'): the local stack of a state folder, the same
 * definition and handlers `upload-sentinel digest` runs. The two heavy
 * Tasks, Reconcile and SendDigest, run as their Lambda functions do, each
 * bundled in a process of its own with its deployed memory
 * (`lambda-task.ts`), so their peak RSS is measured apart from the
 * stand-ins'. Counts the items the DynamoDB client read; prints one JSON
 * line with the figures.
 *
 * Usage: digest-child.ts STATE_DIR DATE AS_OF
 */
import { readFile, stat } from 'node:fs/promises';
import { simpleParser } from 'mailparser';
import { RECONCILE_FUNCTION, SEND_DIGEST_FUNCTION } from '../config/runtime.ts';
import { logger } from '../handlers/logger.ts';
import { LOCAL_SENDER, LocalDigest } from '../local/digest.ts';
import { LocalStack } from '../local/stack.ts';
import { DailyDigestState } from '../workflows/daily-digest.ts';
import { LambdaTasks } from './lambda-task.ts';

const [stateDir, date, asOf] = process.argv.slice(2) as [
  string,
  string,
  string,
];
logger.setLogLevel('SILENT');
const started = performance.now();
const stack = await LocalStack.start({ stateDir, s3: true });
let itemsRead = 0;
let readCalls = 0;
stack.dynamo.middlewareStack.add(
  (next) => async (args) => {
    const out = await next(args);
    const o = (out.output ?? {}) as { Items?: unknown[]; Item?: unknown };
    if (Array.isArray(o.Items)) {
      itemsRead += o.Items.length;
      readCalls++;
    } else if (o.Item !== undefined) {
      itemsRead++;
      readCalls++;
    }
    return out;
  },
  { step: 'initialize', name: 'benchCountReads' },
);
const tasks = await LambdaTasks.bundle(['reconcile', 'send-digest']);
// The Tasks' processes reach the stand-ins by their endpoints; the
// function's configuration is what the stack sets (infra/), for the local
// stack's table and buckets.
let endpoints: Record<string, string> = {};
const common = () => ({
  ...endpoints,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  SENTINEL_S3_FORCE_PATH_STYLE: 'true',
  SENTINEL_REPORTS_BUCKET: stack.reportsBucket,
  SENTINEL_REPORTS_PREFIX: 'digests/',
});
const reconcile = tasks.binding({
  handler: 'reconcile',
  ...RECONCILE_FUNCTION,
  get env() {
    return {
      ...common(),
      SENTINEL_TABLE_NAME: stack.tableName,
      SENTINEL_RECORDINGS_BUCKET: stack.recordingsBucket,
      SENTINEL_WATCH_PREFIX: '',
    };
  },
});
const send = tasks.binding({
  handler: 'send-digest',
  ...SEND_DIGEST_FUNCTION,
  get env() {
    return { ...common(), SENTINEL_DIGEST_SENDER: LOCAL_SENDER };
  },
});
const digest = await LocalDigest.start({
  stack,
  bindings: {
    [DailyDigestState.RECONCILE]: (input) => reconcile(input),
    [DailyDigestState.SEND_DIGEST]: (input) => send(input),
  },
});
endpoints = {
  AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEndpoint,
  AWS_ENDPOINT_URL_S3: stack.s3Endpoint ?? '',
  AWS_ENDPOINT_URL_ATHENA: digest.athena.endpoint,
  AWS_ENDPOINT_URL_SES: digest.ses.endpoint,
};
const run = await digest.run({ date, asOf });
const scan = digest.athena.lastScan;
await digest.stop();
await stack.stop();
await tasks.close();
const seconds = (performance.now() - started) / 1000;
let rawBytes: number | null = null;
let htmlBytes: number | null = null;
let textBytes: number | null = null;
let attachment: { name: string; bytes: number } | null = null;
if (run.files?.eml) {
  rawBytes = (await stat(run.files.eml)).size;
  const mail = await simpleParser(await readFile(run.files.eml));
  htmlBytes = typeof mail.html === 'string' ? Buffer.byteLength(mail.html) : 0;
  textBytes = Buffer.byteLength(mail.text ?? '');
  const a = mail.attachments[0];
  if (a !== undefined)
    attachment = { name: a.filename ?? '', bytes: a.content.length };
}
const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
console.log(
  JSON.stringify({
    status: run.status,
    error: run.error,
    seconds: Number(seconds.toFixed(2)),
    peakRssMB: Number((hwmKb / 1024).toFixed(1)),
    // The index items read by the digest: the stand-ins' process's and the
    // Tasks' (the Reconcile function reads the day's items).
    itemsRead:
      itemsRead + tasks.invocations.reduce((n, t) => n + t.itemsRead, 0),
    readCalls,
    scannedBytes: scan?.bytes ?? null,
    scannedLines: scan?.lines ?? null,
    rawBytes,
    htmlBytes,
    textBytes,
    attachment,
    confirmed: run.report?.confirmed ?? null,
    athena: run.report?.coverage.athena ?? null,
    attention: run.report?.attention.length ?? null,
    keys:
      run.report === null
        ? null
        : Object.values(run.report.counts).reduce((a, b) => a + b, 0),
    s3Checked: run.s3Checked,
    tasks: tasks.invocations,
    eml: run.files?.eml ?? null,
  }),
);
