/**
 * The command-line contract (docs/cli.md), through the real binary:
 * --help for every command, matching what the command accepts and what it
 * does (AWS-only flags refused in local mode, the --json keys it lists);
 * exit codes; one-line errors with no stack trace.
 */
import { spawn } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetObjectCommand,
  ListObjectsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { helpOf } from '../../cli/args.ts';
import { COMMANDS } from '../../cli/registry.ts';
import { parseLogObjectKey } from '../../core/access-log/log-object-key.ts';
import { LocalStack } from '../../local/stack.ts';
import { type LogObject, simulateDay } from '../../simulate/simulate.ts';
import { cli } from '../support/cli.ts';
import { startCloudFormationStandIn } from '../support/cloudformation.ts';
import { FIXTURES_DIR } from '../support/fixtures.ts';

const FIXTURES = FIXTURES_DIR;
const BIN_PATH = fileURLToPath(
  new URL('../../bin/upload-sentinel.mjs', import.meta.url),
);

/** The `--flags` a help text documents in its Options section. */
function documentedFlags(help: string): string[] {
  const options =
    help.split(/\n\s*\n/).find((block) => block.startsWith('Options:')) ?? '';
  return [...options.matchAll(/^\s+(?:-\w, )?--([a-z][a-z-]*)/gm)]
    .map((m) => m[1] as string)
    .sort();
}

/** The entry of `--flag` in a help text's Options section, one line. */
function optionEntry(help: string, flag: string): string {
  const options =
    help.split(/\n\s*\n/).find((block) => block.startsWith('Options:')) ?? '';
  const lines = options.split('\n');
  const start = lines.findIndex((l) =>
    new RegExp(`^\\s+(?:-\\w, )?--${flag}\\b`).test(l),
  );
  if (start === -1) return '';
  const next = lines.findIndex(
    (l, i) => i > start && /^\s+(?:-\w, )?--/.test(l),
  );
  return lines
    .slice(start, next === -1 ? undefined : next)
    .join(' ')
    .replace(/\s+/g, ' ');
}

/**
 * The field names a help entry lists after `label:` (up to `;`), without
 * the explanations in parentheses.
 */
function listedKeys(entry: string, label: string): string[] {
  const text = entry.replace(/\([^)]*\)/g, '');
  const list = text.slice(text.indexOf(`${label}:`) + label.length + 1);
  return (list.split(';')[0] ?? '')
    .split(/,| and /)
    .map((k) => k.trim())
    .filter(Boolean)
    .sort();
}

/** Arguments that are valid for each command apart from its flags. */
const POSITIONALS: Record<string, string[]> = {
  ingest: [join(FIXTURES, 'edge-cases.log')],
  status: ['s3://rec-archive-prod/recordings/a.tar'],
  backfill: ['s3://upload-sentinel-logs/s3-access-logs/'],
};

describe('every command', () => {
  for (const [name, command] of Object.entries(COMMANDS)) {
    it(`${name} --help documents exactly the options it accepts`, async () => {
      const mod = await command.load();
      const r = await cli([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(helpOf(mod.spec));
      expect(documentedFlags(r.stdout)).toEqual(
        [...Object.keys(mod.spec.options), 'help'].sort(),
      );
      expect(r.stderr).toBe('');
    });

    it(`${name} refuses AWS-only flags in local mode, in one line with exit 2`, async () => {
      const mod = await command.load();
      const help = helpOf(mod.spec);
      const awsOnly = Object.entries(mod.spec.options)
        .filter(([, o]) => o.awsOnly === true)
        .map(([flag]) => flag);
      if (!('target' in mod.spec.options)) {
        expect(awsOnly).toEqual([]);
        return;
      }
      expect(awsOnly.length).toBeGreaterThan(0);
      const state = await mkdtemp(join(tmpdir(), 'sentinel-cli-'));
      for (const [i, flag] of awsOnly.entries()) {
        expect(optionEntry(help, flag)).toContain('with --target aws');
        // Without --target, and (once) with an explicit --target local.
        for (const target of i === 0 ? [[], ['--target', 'local']] : [[]]) {
          const args = [
            name,
            ...(POSITIONALS[name] ?? []),
            ...target,
            `--${flag}`,
            'x',
            '--state',
            state,
          ];
          const r = await cli(args);
          expect(r.code, args.join(' ')).toBe(2);
          expect(r.stdout, args.join(' ')).toBe('');
          expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
          expect(r.stderr, args.join(' ')).toContain(
            `--${flag} only applies to a deployed stack: add --target aws`,
          );
        }
      }
    });

    it(`${name} rejects an unknown flag in one line with exit 2`, async () => {
      const r = await cli([name, '--no-such-flag']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    });
  }
});

describe('top level', () => {
  it('prints the version and the command list', async () => {
    const pkg = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    );
    expect((await cli(['--version'])).stdout.trim()).toBe(pkg.version);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const name of Object.keys(COMMANDS))
      expect(help.stdout).toContain(`  ${name}`);
  });

  it('with no command, prints the usage on stderr and exits 2', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: upload-sentinel <command> [options]');
  });

  it('rejects an unknown command with exit 2', async () => {
    const r = await cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('parse', () => {
  it('prints one record per line of the public samples and no malformed line', async () => {
    const r = await cli(['parse', join(FIXTURES, 'public-samples.log')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(59);
    expect(Object.keys(lines[0])).toEqual(
      expect.arrayContaining([
        'bucketOwner',
        'time',
        'key',
        'uploadId',
        'partNumber',
        'extra',
      ]),
    );
  });

  it('reads stdin, reports malformed lines as FILE:LINE and exits 0, or 2 with --strict', async () => {
    const good = (
      await readFile(join(FIXTURES, 'edge-cases.log'), 'utf8')
    ).split('\n')[0];
    const input = `${good}\nthis is not a log line\n`;
    const r = await cli(['parse'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toBe('<stdin>:2: third field is not a [time]');
    const strict = await cli(['parse', '--strict', '-'], { input });
    expect(strict.code).toBe(2);
  });

  it('--stats prints one summary object', async () => {
    const r = await cli(['parse', '--stats', join(FIXTURES, 'edge-cases.log')]);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      lines: 46,
      records: 46,
      malformed: 0,
      uploadRequests: 34,
    });
    expect(typeof s.seconds).toBe('number');
  });
});

describe('analyze and simulate', () => {
  it('a missing path is one line and exit 2', async () => {
    const r = await cli(['analyze', 'nosuchdir']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "upload-sentinel: no such file or folder: nosuchdir (see 'upload-sentinel analyze --help')\n",
    );
  });

  it('bad values are one line and exit 2', async () => {
    for (const args of [
      ['analyze', FIXTURES, '--as-of', 'yesterday'],
      ['analyze', FIXTURES, '--stall-window', 'soon'],
      ['simulate', '--out', '/tmp/x', '--recordings', '-5'],
      ['simulate', '--out', '/tmp/x', '--date', '2026-02-30'],
      ['simulate', '--out', '/tmp/x', '--failure-rate', '3'],
      ['simulate'],
      ['digest', '--date', '2026-13-01'],
      ['digest', '--smtp', 'nope', '--time-zone', 'UTC'],
      ['digest', '--smtp', 'mail.example.com:25', '--time-zone', 'UTC'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('simulate then analyze --check agrees, and a changed expectation exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-cli-'));
    const sim = await cli([
      'simulate',
      '--out',
      dir,
      '--seed',
      '5',
      '--date',
      '2026-03-14',
      '--recordings',
      '80',
      '--json',
    ]);
    expect(sim.code).toBe(0);
    const summary = JSON.parse(sim.stdout);
    const ok = await cli([
      'analyze',
      join(dir, 'logs'),
      '--as-of',
      summary.asOf,
      '--json',
      '--check',
      join(dir, 'expected.json'),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/check: 81 of 81 keys as expected, 0 differ/);
    expect(ok.stdout.trim().split('\n')).toHaveLength(81);
    const expected = JSON.parse(
      await readFile(join(dir, 'expected.json'), 'utf8'),
    );
    expected.keys[0].status =
      expected.keys[0].status === 'FAILED' ? 'COMPLETED' : 'FAILED';
    await writeFile(join(dir, 'expected.json'), JSON.stringify(expected));
    const bad = await cli([
      'analyze',
      join(dir, 'logs'),
      '--as-of',
      summary.asOf,
      '--check',
      join(dir, 'expected.json'),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/1 differ/);
  });

  it('simulate writes, as it goes, the very day simulateDay makes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-cli-'));
    const options = {
      seed: 'stream',
      date: '2026-03-14',
      recordings: 120,
      failureRate: 0.3,
      missingObjects: 2,
    };
    const sim = await cli([
      'simulate',
      '--out',
      dir,
      '--seed',
      options.seed,
      '--date',
      options.date,
      '--recordings',
      String(options.recordings),
      '--failure-rate',
      String(options.failureRate),
      '--missing-objects',
      String(options.missingObjects),
      '--json',
    ]);
    expect(sim.code, sim.stderr).toBe(0);
    const day = simulateDay(options);
    const files = await readdir(join(dir, 'logs'), { recursive: true });
    const written = new Map<string, string>();
    for (const f of files) {
      const path = join(dir, 'logs', f);
      if ((await stat(path)).isFile())
        written.set(f, await readFile(path, 'utf8'));
    }
    expect(written).toEqual(new Map(day.objects.map((o) => [o.key, o.body])));
    const expected = JSON.parse(
      await readFile(join(dir, 'expected.json'), 'utf8'),
    );
    expected.keys.sort((x: { key: string }, y: { key: string }) =>
      x.key < y.key ? -1 : 1,
    );
    expect(expected).toEqual(day.expected);
    expect(day.stats.objects).toBe(day.objects.length);
    expect(JSON.parse(sim.stdout)).toMatchObject({
      keys: day.expected.keys.length,
      ...day.stats,
    });
  });
});

describe('ingest and status', () => {
  it('ingest --json prints exactly the keys its help lists for local mode', async () => {
    const mod = await COMMANDS.ingest!.load();
    const entry = optionEntry(helpOf(mod.spec), 'json');
    const documented = listedKeys(entry, 'locally');
    expect(documented).toContain('storeWrites');
    for (const k of documented) expect(k).toMatch(/^[a-z][A-Za-z0-9]*$/);
    // The --target aws shape is listed too (run in 'ingest --target aws').
    expect(listedKeys(entry, 'with --target aws')).toEqual([
      'bucket',
      'files',
      'prefix',
      'seconds',
    ]);
    const state = await mkdtemp(join(tmpdir(), 'sentinel-cli-'));
    const r = await cli([
      'ingest',
      join(FIXTURES, 'edge-cases.log'),
      '--state',
      state,
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(Object.keys(summary).sort()).toEqual(documented);
    expect(summary).toMatchObject({ files: 1, malformed: 0, deadLettered: 0 });
  });

  it('status of an unknown key: exit 3, the key made visible, what to do next', async () => {
    const state = await mkdtemp(join(tmpdir(), 'sentinel-cli-'));
    const r = await cli([
      'status',
      's3://rec-archive-prod/evil\u001b[2J.tar',
      '--state',
      state,
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      'unknown key s3://rec-archive-prod/evil\\x1b[2J.tar',
    );
    expect(r.stderr).toMatch(/check the key's quoting/);
    expect(r.stderr).toMatch(/'upload-sentinel ingest' or 'backfill'/);
  });
});

describe('ingest --target aws', () => {
  const SIMPLE = '2026-03-14-10-11-12-SimpleName0123456789';
  const GENERATED = /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$/;

  it("puts every file under the stack's log prefix, named as its ingest function reads them, and uploads nothing when it cannot", async () => {
    // Prepare: s3rver as the deployed log bucket, a CloudFormation stand-in
    // publishing the stack's outputs, and log files named every way.
    const root = await mkdtemp(join(tmpdir(), 'sentinel-cli-aws-'));
    const stack = await LocalStack.start({ stateDir: join(root, 'aws') });
    const cfn = await startCloudFormationStandIn({
      UploadSentinel: { LogBucketName: stack.logBucket, LogPrefix: 'logs/' },
      Older: { LogBucketName: stack.logBucket },
    });
    const s3 = stack.s3 as S3Client;
    const env = {
      AWS_ENDPOINT_URL_S3: stack.s3Endpoint as string,
      AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      // s3rver does not read the SDK's default streamed checksums.
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    };
    const keysUnder = async (prefix: string): Promise<string[]> =>
      (
        (
          await s3.send(
            new ListObjectsCommand({ Bucket: stack.logBucket, Prefix: prefix }),
          )
        ).Contents ?? []
      )
        .map((c) => c.Key as string)
        .sort();
    try {
      const day = simulateDay({
        seed: 'ingest-aws',
        date: '2026-03-14',
        recordings: 8,
        failureRate: 0.2,
      });
      const [a, b, c, d, e] = day.objects as [
        LogObject,
        LogObject,
        LogObject,
        LogObject,
        LogObject,
      ];
      const tail = (o: LogObject) => o.key.slice('s3-access-logs/'.length);
      const dir = join(root, 'logs');
      const files: Record<string, string> = {
        // As simulate writes them: partitioned, under s3-access-logs/.
        [a.key]: a.body,
        [b.key]: b.body,
        [c.key]: c.body,
        // The partitioned layout under another folder.
        [`copied/${tail(d)}`]: d.body,
        // A simple-layout log name in a sub-folder.
        [`sub/${SIMPLE}`]: e.body,
        // Not named like a log object.
        'notes.log': await readFile(join(FIXTURES, 'edge-cases.log'), 'utf8'),
      };
      for (const [rel, body] of Object.entries(files)) {
        await mkdir(dirname(join(dir, rel)), { recursive: true });
        await writeFile(join(dir, rel), body);
      }

      // Act: the bucket from its flag (and the stack's fixed log prefix),
      // then both from the stack's outputs.
      const byFlags = await cli(
        [
          'ingest',
          dir,
          '--target',
          'aws',
          '--log-bucket',
          stack.logBucket,
          '--json',
        ],
        { env },
      );
      const describedByFlags = [...cfn.described];
      const byOutputs = await cli(['ingest', dir, '--target', 'aws'], {
        env,
      });

      // Assess
      expect(byFlags.code, byFlags.stderr).toBe(0);
      const summary = JSON.parse(byFlags.stdout);
      const mod = await COMMANDS.ingest!.load();
      expect(Object.keys(summary).sort()).toEqual(
        listedKeys(optionEntry(helpOf(mod.spec), 'json'), 'with --target aws'),
      );
      expect(summary).toMatchObject({
        files: 6,
        bucket: stack.logBucket,
        prefix: 's3-access-logs/',
      });
      expect(describedByFlags).toEqual([]);
      expect(byOutputs.code, byOutputs.stderr).toBe(0);
      expect(byOutputs.stdout).toContain(
        `Uploaded 6 log files to s3://${stack.logBucket}/logs/`,
      );
      expect(cfn.described).toContain('UploadSentinel');
      const all = await keysUnder('');
      for (const prefix of ['s3-access-logs/', 'logs/']) {
        const keys = await keysUnder(prefix);
        // The prefix once, never doubled; the partitioned layout kept and
        // moved right under the prefix; the simple name kept; one made up.
        expect(
          keys.filter((k) => !GENERATED.test(k.slice(prefix.length))),
        ).toEqual(
          [
            ...[a, b, c, d].map((o) => `${prefix}${tail(o)}`),
            `${prefix}${SIMPLE}`,
          ].sort(),
        );
        expect(
          keys.filter((k) => GENERATED.test(k.slice(prefix.length))),
        ).toHaveLength(1);
        for (const key of keys) {
          const name = parseLogObjectKey(key, prefix);
          expect(typeof name, `${key}: ${String(name)}`).toBe('object');
        }
        // Each object is the file, byte for byte.
        const body = async (key: string) =>
          (
            await s3.send(
              new GetObjectCommand({ Bucket: stack.logBucket, Key: key }),
            )
          ).Body?.transformToString();
        expect(await body(`${prefix}${tail(d)}`)).toBe(d.body);
        expect(await body(`${prefix}${SIMPLE}`)).toBe(e.body);
      }
      expect(all).toHaveLength(12);

      // Act: two files that would land on one key; a log prefix of one's
      // own (where the stack's S3 events fire nothing); a stack that does
      // not publish its log prefix.
      const clash = join(root, 'clash');
      for (const sub of ['x', 'y']) {
        await mkdir(join(clash, sub), { recursive: true });
        await writeFile(join(clash, sub, SIMPLE), e.body);
      }
      const twice = await cli(
        ['ingest', clash, '--target', 'aws', '--log-bucket', stack.logBucket],
        { env },
      );
      const ownPrefix = await cli(
        ['ingest', dir, '--target', 'aws', '--log-prefix', 'clash/'],
        { env },
      );
      const older = await cli(
        ['ingest', dir, '--target', 'aws', '--stack', 'Older'],
        { env },
      );

      // Assess: one line each, and nothing uploaded.
      expect(twice.code).toBe(2);
      expect(twice.stderr.trim().split('\n')).toHaveLength(1);
      expect(twice.stderr).toContain(
        `would both be uploaded as s3-access-logs/${SIMPLE}`,
      );
      expect(ownPrefix.code).toBe(2);
      expect(ownPrefix.stderr.trim().split('\n')).toHaveLength(1);
      expect(ownPrefix.stderr).toMatch(/unknown option '--log-prefix'/);
      expect(older.code).toBe(1);
      expect(older.stderr.trim().split('\n')).toHaveLength(1);
      expect(older.stderr).toContain(
        `no LogPrefix output on the stack (deployed by an older version?): redeploy it, or pass --log-bucket ${stack.logBucket} to upload under the default log prefix s3-access-logs/`,
      );
      expect(await keysUnder('')).toEqual(all);

      // Act: the older stack, as its error says (its log prefix has always
      // been the default one).
      const advised = await cli(
        [
          'ingest',
          dir,
          '--target',
          'aws',
          '--stack',
          'Older',
          '--log-bucket',
          stack.logBucket,
        ],
        { env },
      );

      // Assess: the same objects as by flags, put again (nothing new).
      expect(advised.code, advised.stderr).toBe(0);
      expect(advised.stdout).toContain(
        `Uploaded 6 log files to s3://${stack.logBucket}/s3-access-logs/`,
      );
      expect(await keysUnder('')).toEqual(all);
    } finally {
      await cfn.close();
      await stack.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('terminal output', () => {
  /** Runs the binary in a pseudo-terminal (util-linux `script`). */
  function inTerminal(args: string[]): Promise<string> {
    const cmd = [process.execPath, BIN_PATH, ...args]
      .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
      .join(' ');
    return new Promise((resolve, reject) => {
      const child = spawn(
        'script',
        ['-qec', `${cmd} 2>/dev/null`, '/dev/null'],
        {
          env: { ...process.env, NO_COLOR: '', TERM: 'xterm' },
        },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
  }
  const ESC = '\u001b[';

  it('is coloured on a terminal, and never in --json or when piped', async () => {
    const file = join(FIXTURES, 'edge-cases.log');
    const table = await inTerminal([
      'analyze',
      file,
      '--as-of',
      '2026-11-25T00:00:00Z',
    ]);
    expect(table).toContain(`${ESC}31mABORTED`);
    const json = await inTerminal([
      'analyze',
      file,
      '--as-of',
      '2026-11-25T00:00:00Z',
      '--json',
    ]);
    expect(json).toContain('"status":"ABORTED"');
    expect(json).not.toContain(ESC);
    const piped = await cli(
      ['analyze', file, '--as-of', '2026-11-25T00:00:00Z'],
      { env: { NO_COLOR: '' } },
    );
    expect(piped.stdout).toContain('ABORTED');
    expect(piped.stdout).not.toContain(ESC);
  });
});
