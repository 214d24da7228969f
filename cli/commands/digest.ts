import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { S3ReportStore } from '../../adapters/s3/report-store.ts';
import { Env } from '../../config/env.ts';
import {
  ConfigError,
  isTimeZone,
  loadDigestConfig,
} from '../../config/load-config.ts';
import type {
  DigestExecutionInput,
  ReportRef,
} from '../../core/digest/events.ts';
import { resolveReportDay } from '../../core/digest/resolve-day.ts';
import { causeOf } from '../../core/digest/step-failure.ts';
import { parseStoredReport } from '../../core/digest/stored-report.ts';
import { DigestInputError } from '../../core/errors.ts';
import type { DigestReport } from '../../core/report/digest-report.ts';
import { json as reportJson } from '../../core/report/render.ts';
import {
  parseSitePattern,
  type SitePattern,
} from '../../core/sites/site-pattern.ts';
import { isRecord } from '../../core/validate.ts';
import {
  LOCAL_RECIPIENT,
  LOCAL_SENDER,
  LocalDigest,
  type LocalDigestRun,
} from '../../local/digest.ts';
import type { SmtpRelay } from '../../local/ses.ts';
import {
  bool,
  type CommandSpec,
  date,
  instant,
  type Parsed,
  str,
} from '../args.ts';
import { digestSummary } from '../digest-summary.ts';
import { RunError, UsageError } from '../errors.ts';
import {
  awsError,
  awsName,
  awsS3,
  startLocal,
  targetOf,
  targetOptions,
} from '../target.ts';

export const spec: CommandSpec = {
  name: 'digest',
  usage: 'digest [options]',
  about: `Runs the daily-digest state machine for one day: Athena's independent scan
of the day's logs, reconciliation with the uploads index and with S3, the
e-mail through SES (HTML and text, at most 60 KB each whatever the day;
the CSV of every row needing attention attached, zipped when large; the JSON
report kept next to it and named in the message), and an admin alert on any
failure.
It also sends the near-real-time alerts held until the day settled (a
FAILED or ABORTED upload is announced an hour of log time after its last
activity; locally they go to <state>/outbox/alerts/).

Locally (the default) it runs the same definition with aws-local-stepfunctions,
each Task bound to the same handler code, DuckDB standing in for Athena and a
local SES endpoint writing the e-mail. The run's files go to
<state>/outbox/digests/<date>/<execution>/: digest.eml, preview.html,
attention.csv, report.json; admin notifications to <state>/outbox/admin/.
The e-mail goes from ${LOCAL_SENDER} to ${LOCAL_RECIPIENT} unless
SENTINEL_DIGEST_SENDER and SENTINEL_DIGEST_RECIPIENTS say otherwise. The
local SES acts as the SES sandbox with every address verified, except those
listed in SENTINEL_LOCAL_SES_UNVERIFIED (comma-separated), to try what
happens to a recipient SES has not verified.

With --target aws it starts the deployed state machine and waits for it; the
report and the e-mail stay in the stack's reports bucket.`,
  options: {
    date: {
      type: 'string',
      value: 'YYYY-MM-DD',
      help: 'the report day (default: yesterday in the time zone)',
    },
    'as-of': {
      type: 'string',
      value: 'ISO',
      help: 'statuses as of this time (default: now)',
    },
    'time-zone': {
      type: 'string',
      value: 'TZ',
      help: 'IANA time zone of the day (default $SENTINEL_TIME_ZONE or UTC)',
    },
    'site-pattern': {
      type: 'string',
      value: 'P',
      help: "locally: which folder of a key names its site, for the quiet-site check, such as 'recordings/*/*/*/{site}/' (default $SENTINEL_SITE_PATTERN; none: no site check)",
    },
    json: {
      type: 'boolean',
      help: 'print the report as JSON (date, asOf, confirmed, counts, attention, recovered, coverage, expected, sites, emailPath, ...)',
    },
    smtp: {
      type: 'string',
      value: 'HOST:PORT',
      help: 'locally, also deliver the e-mail to this SMTP server on this machine (localhost, 127.0.0.1 or [::1])',
    },
    'state-machine': {
      type: 'string',
      value: 'ARN',
      awsOnly: true,
      help: `the state machine (instead of the stack's output)`,
    },
    ...targetOptions,
  },
  more: `Exit codes: 0 the digest was sent (even with recipients left out: see the
            admin notification), 1 the workflow failed or the digest reached
            no recipient (the admin was alerted), 2 bad usage.

Examples:
  upload-sentinel digest --date 2026-03-14 --as-of 2026-03-15T03:00:00Z
  upload-sentinel digest --date 2026-03-14 --json | jq '.attention[].key'
  upload-sentinel digest --target aws --date 2026-03-14`,
};

/** The site pattern given, compiled; a UsageError naming where it came from. */
function sitePatternOf(
  source: string | null,
  from: string,
): SitePattern | null {
  if (source === null) return null;
  const p = parseSitePattern(source);
  if (typeof p === 'string') throw new UsageError(`${from}: ${p}`);
  return p;
}

function smtpOf(v: string | undefined): SmtpRelay | null {
  if (v === undefined) return null;
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (m === null || port < 1 || port > 65535)
    throw new UsageError(
      `--smtp must be HOST:PORT such as localhost:2525, got '${v}'`,
    );
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  // The relay is plain SMTP (a local test server such as Mailpit): nothing
  // leaves this machine unencrypted.
  if (!/^(localhost|127(\.\d{1,3}){3}|::1)$/.test(host))
    throw new UsageError(
      `--smtp relays without TLS, so only to this machine (localhost, 127.0.0.1 or [::1]), got '${v}'`,
    );
  return { host, port };
}

/** What the run's input is, from the flags. */
function executionInput(p: Parsed): DigestExecutionInput {
  const input: DigestExecutionInput = {};
  const day = date(p, 'date');
  const asOf = instant(p, 'as-of');
  const tz = str(p, 'time-zone');
  if (tz !== undefined && !isTimeZone(tz))
    throw new UsageError(`--time-zone: not an IANA time zone: '${tz}'`);
  if (day !== undefined) input.date = day;
  if (asOf !== undefined) input.asOf = new Date(asOf).toISOString();
  if (tz !== undefined) input.timeZone = tz;
  return input;
}

function print(
  report: DigestReport,
  asJson: boolean,
  files: { label: string; path: string | null }[],
): void {
  if (asJson) {
    process.stdout.write(reportJson(report));
    return;
  }
  for (const line of digestSummary(report)) console.log(line);
  for (const f of files)
    if (f.path !== null) console.log(`  ${f.label.padEnd(8)} ${f.path}`);
}

/** The state a failed run failed in: the one before its `…Failed` Pass. */
function failedState(run: LocalDigestRun): string {
  const pass = run.path.find(
    (s) => s.endsWith('Failed') && s !== 'DigestFailed',
  );
  return pass === undefined ? 'the workflow' : pass.slice(0, -'Failed'.length);
}

async function runLocal(
  p: Parsed,
  input: DigestExecutionInput,
): Promise<number> {
  let config: ReturnType<typeof loadDigestConfig>;
  try {
    config = loadDigestConfig();
  } catch (err) {
    if (err instanceof ConfigError)
      throw new UsageError(err.message, { cause: err });
    throw err;
  }
  try {
    // What ResolveDay will refuse is bad usage here, not a failed run.
    resolveReportDay(input, { timeZone: config.timeZone, now: Date.now() });
  } catch (err) {
    if (err instanceof DigestInputError)
      throw new UsageError(err.message, { cause: err });
    throw err;
  }
  const smtp = smtpOf(str(p, 'smtp'));
  const sitePattern = sitePatternOf(
    str(p, 'site-pattern') ?? config.sitePattern,
    str(p, 'site-pattern') !== undefined ? '--site-pattern' : Env.SITE_PATTERN,
  );
  const asJson = bool(p, 'json');
  const sender = config.sender ?? LOCAL_SENDER;
  const recipients = config.recipients ?? [LOCAL_RECIPIENT];
  const unverified = new Set(
    (process.env.SENTINEL_LOCAL_SES_UNVERIFIED ?? '')
      .split(',')
      .map((a) => a.trim().toLowerCase())
      .filter((a) => a !== ''),
  );
  const stack = await startLocal(p, { s3: true });
  let run: LocalDigestRun;
  try {
    const digest = await LocalDigest.start({
      stack,
      timeZone: config.timeZone,
      stallWindowMs: config.stallWindowMs,
      graceMs: config.manifestGraceMs,
      sitePattern,
      sender,
      recipients,
      verified: [sender, ...recipients].filter(
        (a) => !unverified.has(a.toLowerCase()),
      ),
      smtp,
    });
    try {
      run = await digest.run(input);
    } finally {
      await digest.stop();
    }
  } finally {
    await stack.stop();
  }
  if (!run.s3Checked)
    process.stderr.write(
      `note: the local recordings bucket is empty, so the S3 checks (HeadObject, open uploads) were skipped; 'upload-sentinel simulate --state ${stack.stateDir}' puts a simulated day's recordings there\n`,
    );
  for (const n of run.notices)
    process.stderr.write(
      `admin notified: ${n.subject ?? n.state} (${n.path})\n`,
    );
  if (run.status === 'FAILED' || run.report === null || run.files === null) {
    const e = run.error ?? { name: 'Error', cause: 'no report was written' };
    throw new RunError(
      `the digest failed in ${failedState(run)}: ${e.name}: ${e.cause.split('\n')[0]}`,
    );
  }
  print(run.report, asJson, [
    { label: 'email', path: run.files.eml },
    { label: 'preview', path: run.files.html },
    { label: 'csv', path: run.files.csv },
    { label: 'report', path: run.files.json },
  ]);
  const reconciled = isRecord(run.output) ? run.output.reconcile : undefined;
  const held = isRecord(reconciled) ? reconciled.heldAlertsSent : undefined;
  if (!asJson && typeof held === 'number' && held > 0)
    console.log(
      `  alerts   ${held} near-real-time alert${held === 1 ? '' : 's'} held until the day settled, sent to ${stack.outboxDir}/alerts`,
    );
  if (run.files.eml === null) {
    process.stderr.write(
      'upload-sentinel: the digest reached no recipient (none is deliverable: see the admin notification above); the report and its preview are written\n',
    );
    return 1;
  }
  return 0;
}

function refAt(output: unknown, path: [string, string]): ReportRef | null {
  const o = isRecord(output) ? output[path[0]] : undefined;
  const r = isRecord(o) ? o[path[1]] : undefined;
  return isRecord(r) &&
    typeof r.bucket === 'string' &&
    typeof r.key === 'string'
    ? { bucket: r.bucket, key: r.key }
    : null;
}

async function runAws(p: Parsed, input: DigestExecutionInput): Promise<number> {
  if (str(p, 'smtp') !== undefined)
    throw new UsageError('--smtp only applies to local runs');
  if (str(p, 'site-pattern') !== undefined)
    throw new UsageError(
      '--site-pattern only applies to local runs (a deployed stack uses its sitePattern setting: redeploy with -c sitePattern=...)',
    );
  const arn = await awsName(p, 'state-machine', 'StateMachineArn');
  const sfn = new SFNClient({ region: str(p, 'region') });
  const s3 = awsS3(p);
  try {
    let executionArn: string;
    try {
      const started = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: arn,
          input: JSON.stringify(input),
        }),
      );
      executionArn = started.executionArn ?? '';
    } catch (err) {
      throw awsError(err, `cannot start ${arn}`);
    }
    process.stderr.write(`started ${executionArn}\n`);
    let polls = 0;
    for (;;) {
      let d: DescribeExecutionCommandOutput;
      try {
        d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      } catch (err) {
        throw awsError(err, `cannot follow ${executionArn}`);
      }
      if (d.status === 'RUNNING' || d.status === 'PENDING_REDRIVE') {
        // 0.25 s, then doubling up to 5 s: quick for a short run, gentle on
        // the API for the usual few minutes.
        await new Promise((r) =>
          setTimeout(r, Math.min(5000, 250 * 2 ** polls++)),
        );
        continue;
      }
      if (d.status !== 'SUCCEEDED') {
        const cause = causeOf(d.cause ?? '') || (d.cause ?? '');
        throw new RunError(
          `the digest ${d.status?.toLowerCase() ?? 'failed'}: ${d.error ?? 'no error name'}${cause === '' ? '' : `: ${cause.split('\n')[0]}`} (${executionArn})`,
        );
      }
      let output: unknown = null;
      try {
        output = JSON.parse(d.output ?? 'null');
      } catch {
        output = null;
      }
      const ref = refAt(output, ['reconcile', 'report']);
      if (ref === null)
        throw new RunError(
          `the execution's output names no report (${executionArn})`,
        );
      let report: DigestReport;
      try {
        report = parseStoredReport(
          await new S3ReportStore(s3, ref.bucket).get(ref),
          ref,
        );
      } catch (err) {
        throw awsError(
          err,
          `cannot read the report s3://${ref.bucket}/${ref.key}`,
        );
      }
      print(report, bool(p, 'json'), [
        { label: 'email', path: report.emailPath },
        { label: 'report', path: `s3://${ref.bucket}/${ref.key}` },
      ]);
      const sent = isRecord(output) ? output.sent : undefined;
      if (isRecord(sent) && sent.messageId === null) {
        process.stderr.write(
          `upload-sentinel: the digest reached no recipient (none is deliverable: see the admin notification) (${executionArn})\n`,
        );
        return 1;
      }
      return 0;
    }
  } finally {
    sfn.destroy();
    s3.destroy();
  }
}

export async function run(p: Parsed): Promise<number> {
  if (p.positionals.length > 0)
    throw new UsageError(
      `unexpected argument '${p.positionals[0]}' (digest takes options only)`,
    );
  const input = executionInput(p);
  // targetOf rejects --state-machine, --stack and --region in local mode.
  if (targetOf(p) === 'aws') return runAws(p, input);
  return runLocal(p, input);
}
