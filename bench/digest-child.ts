/**
 * One local digest run, in its own process so its peak RSS is the digest's
 * (and its stand-ins'): the local stack of a state folder, the same
 * definition and handlers `upload-sentinel digest` runs. Counts the items
 * the DynamoDB client read; prints one JSON line with the figures.
 *
 * Usage: digest-child.ts STATE_DIR DATE AS_OF
 */
import { readFile, stat } from 'node:fs/promises';
import { simpleParser } from 'mailparser';
import { logger } from '../handlers/logger.ts';
import { LocalDigest } from '../local/digest.ts';
import { LocalStack } from '../local/stack.ts';

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
const digest = await LocalDigest.start({ stack });
const run = await digest.run({ date, asOf });
const scan = digest.athena.lastScan;
await digest.stop();
await stack.stop();
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
    itemsRead,
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
    eml: run.files?.eml ?? null,
  }),
);
