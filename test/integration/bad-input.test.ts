/**
 * Bad input and faults through the real binary, as a new user meets them:
 * nothing is lost or skipped without a word (same-name files, symbolic
 * links), every user error is one line and exit 2, a closed pipe ends the
 * command quietly, and a damaged or busy state folder is refused in one
 * line with nothing changed (docs/local-state.md).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_LOCK } from '../../local/stack.ts';
import { type CliResult, cli } from '../support/cli.ts';
import { failedUploadLines } from '../support/log-lines.ts';

const BIN = fileURLToPath(
  new URL('../../bin/upload-sentinel.mjs', import.meta.url),
);
const NAME = '2026-03-14-10-05-00-0123456789ABCDEF';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sentinel-bad-input-'));
  // Readable by the unprivileged user some tests run the binary as.
  await chmod(root, 0o755);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder under the test's root. */
async function folder(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** One line on stderr, nothing on stdout, the exit code. */
function oneLine(r: CliResult, code: number): string {
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.code, r.stderr).toBe(code);
  return lines[0] as string;
}

async function statusOf(state: string, key: string): Promise<CliResult> {
  return cli(['status', `s3://rec-archive-prod/${key}`, '--state', state]);
}

describe('ingest loses nothing', () => {
  it('indexes same-name files of two folders as two log objects, and a re-run changes nothing', async () => {
    // Prepare: two sites' exports, the same file name, different uploads.
    const a = await folder('same-name/site-a');
    const b = await folder('same-name/site-b');
    await writeFile(join(a, NAME), failedUploadLines('site-a/1.tar', 'UA'));
    await writeFile(join(b, NAME), failedUploadLines('site-b/2.tar', 'UB'));
    const state = join(root, 'same-name/state');

    // Act
    const r = await cli(['ingest', a, b, '--state', state, '--json']);

    // Assess: both objects read, both FAILED uploads known (their alerts
    // wait an hour of log time: docs/alerts.md).
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      files: 2,
      objects: 2,
      uploadRequests: 6,
      alerts: 0,
    });
    for (const key of ['site-a/1.tar', 'site-b/2.tar']) {
      const s = await statusOf(state, key);
      expect(s.code, s.stderr).toBe(0);
      expect(s.stdout).toMatch(/^FAILED /);
    }
    const again = await cli(['ingest', a, b, '--state', state, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ objects: 2, alerts: 0 });
    expect(
      await readdir(join(state, 's3', 'upload-sentinel-logs')),
    ).toHaveLength(2);
  });

  it('indexes an object whose upload id is over the 1 KB sort-key limit like the others (its alert claim is keyed by a digest of the id)', async () => {
    // Prepare: three good objects and one with an upload id over DynamoDB's
    // 1 KB sort-key limit.
    const logs = await folder('long-id/logs');
    for (let i = 0; i < 3; i++)
      await writeFile(
        join(logs, `2026-03-14-10-0${i}-00-GOOD00000000000${i}`),
        failedUploadLines(`good/${i}.tar`, `UP${i}`),
      );
    const bad = join(logs, '2026-03-14-10-09-00-BAD0000000000000');
    await writeFile(bad, failedUploadLines('bad/long.tar', 'X'.repeat(1100)));
    const state = join(root, 'long-id/state');

    // Act
    const r = await cli(['ingest', logs, '--state', state, '--json']);

    // Assess: nothing lost, every upload known FAILED.
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ objects: 4, deadLettered: 0 });
    for (const key of [
      'good/0.tar',
      'good/1.tar',
      'good/2.tar',
      'bad/long.tar',
    ])
      expect((await statusOf(state, key)).stdout).toMatch(/^FAILED /);
  });

  it('follows symbolic links to files and folders in parse, analyze and ingest', async () => {
    // Prepare: the logs live elsewhere; the folder named holds only links.
    const real = await folder('links/real');
    await writeFile(join(real, NAME), failedUploadLines('linked/1.tar', 'U1'));
    const realDir = await folder('links/real-dir');
    await writeFile(
      join(realDir, '2026-03-14-10-06-00-0123456789ABCDEF'),
      failedUploadLines('linked/2.tar', 'U2'),
    );
    const input = await folder('links/input');
    await symlink(join(real, NAME), join(input, 'a-file'));
    await symlink(realDir, join(input, 'a-folder'));
    const state = join(root, 'links/state');

    // Act
    const parsed = await cli(['parse', input, '--stats']);
    const analyzed = await cli(['analyze', input, '--json']);
    const ingested = await cli(['ingest', input, '--state', state, '--json']);

    // Assess
    expect(JSON.parse(parsed.stdout)).toMatchObject({
      lines: 6,
      records: 6,
      uploadRequests: 6,
    });
    expect(analyzed.stdout.trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(ingested.stdout)).toMatchObject({
      files: 2,
      objects: 2,
      uploadRequests: 6,
    });
    for (const key of ['linked/1.tar', 'linked/2.tar'])
      expect((await statusOf(state, key)).stdout).toMatch(/^FAILED /);
  });

  it('refuses a symbolic link loop, a kernel folder, a pipe inside a folder and a broken link, each in one line', async () => {
    const loop = await folder('loop/input');
    await writeFile(join(loop, NAME), failedUploadLines('loop/1.tar', 'U1'));
    await symlink('..', join(loop, 'up'));
    const state = join(root, 'loop/st');
    for (const r of await Promise.all([
      cli(['parse', loop]),
      cli(['ingest', loop, '--state', state]),
    ]))
      expect(oneLine(r, 2)).toMatch(
        /symbolic link loop: .*up.* leads back to .*, a folder it is inside/,
      );
    // /proc's folders link back to / (and would walk the whole disk).
    expect(oneLine(await cli(['parse', '/proc/self']), 2)).toMatch(
      /\/proc\/self is a folder of a kernel file system \(\/proc\/\d+\), not of log files/,
    );
    const pipe = await folder('pipe-inside');
    execFileSync('mkfifo', [join(pipe, 'fifo')]);
    expect(oneLine(await cli(['parse', pipe]), 2)).toMatch(
      /fifo is not a regular file or folder \(a device, pipe or socket\)/,
    );
    const self = await folder('self-loop');
    await symlink('me', join(self, 'me'));
    expect(oneLine(await cli(['parse', self]), 2)).toMatch(
      /me is a loop of symbolic links/,
    );
    const broken = await folder('broken');
    await symlink(join(root, 'nowhere'), join(broken, 'gone'));
    expect(oneLine(await cli(['parse', broken]), 2)).toMatch(
      /gone is a broken symbolic link/,
    );
  });
});

/** Runs the binary as the unprivileged user `nobody` when the tests run as root. */
function cliAs(args: string[]): Promise<CliResult> {
  const asRoot = process.getuid?.() === 0;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', HOME: root },
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

describe('unreadable input is one line and exit 2', () => {
  it('a file that cannot be read: parse, analyze and ingest (nothing put)', async () => {
    // /proc/self/mem exists and stats as a file, but reading it fails (EIO).
    for (const command of ['parse', 'analyze'])
      expect(oneLine(await cli([command, '/proc/self/mem']), 2)).toMatch(
        /cannot read \/proc\/self\/mem: input\/output error/,
      );
    const state = join(root, 'eio/state');
    expect(
      oneLine(await cli(['ingest', '/proc/self/mem', '--state', state]), 2),
    ).toMatch(/cannot read \/proc\/self\/mem: input\/output error/);
  });

  it('a file and a folder without read permission', async () => {
    const dir = await folder('perm');
    await chmod(dir, 0o755);
    const file = join(dir, NAME);
    await writeFile(file, failedUploadLines('perm/1.tar', 'U1'));
    await chmod(file, 0o000);
    const closed = join(dir, 'closed');
    await mkdir(closed);
    await writeFile(join(closed, NAME), failedUploadLines('perm/2.tar', 'U2'));
    await chmod(closed, 0o000);
    expect(oneLine(await cliAs(['parse', file]), 2)).toMatch(
      /cannot read .*: permission denied/,
    );
    expect(oneLine(await cliAs(['analyze', closed]), 2)).toMatch(
      /cannot read the folder .*closed: permission denied/,
    );
    expect(
      oneLine(await cliAs(['ingest', file, '--state', join(dir, 'state')]), 2),
    ).toMatch(/cannot read .*: permission denied/);
  });
});

describe('bad arguments are one line and exit 2', () => {
  it('--out and --state naming a file, or a kernel file system; simulate --out /proc/x returns', async () => {
    const file = join(await folder('paths'), 'a-file');
    await writeFile(file, 'not a folder\n');
    const cases: [string[], RegExp][] = [
      [['simulate', '--out', file], /--out .*a-file is a file, not a folder/],
      [
        ['simulate', '--out', join(file, 'sub')],
        /--out .*a-file\/sub: a path component is not a folder/,
      ],
      [
        ['simulate', '--out', '/proc/x', '--recordings', '5'],
        /--out \/proc\/x: \/proc is in a kernel file system/,
      ],
      [['list', '--state', file], /--state .*a-file is a file, not a folder/],
      [
        ['ingest', file, '--state', '/proc/self/x'],
        /--state \/proc\/self\/x: /,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, message], i) => {
      expect(oneLine(results[i] as CliResult, 2), args.join(' ')).toMatch(
        message,
      );
    });
    const env = await cli(['list'], { env: { SENTINEL_STATE: file } });
    expect(oneLine(env, 2)).toMatch(
      /^upload-sentinel: SENTINEL_STATE .*a-file is a file/,
    );
  });

  it('simulate checks every option before it makes the --out folder', async () => {
    const base = await folder('simulate-options');
    const cases: [string[], RegExp][] = [
      [['--recordings', 'abc'], /--recordings must be a whole number/],
      [['--failure-rate', '3'], /--failure-rate must be a number from 0 to 1/],
      [['--date', '2026-02-30'], /--date must be a date/],
      [['--layout', 'weird'], /--layout must be partitioned or simple/],
    ];
    for (const [i, [args, message]] of cases.entries()) {
      const out = join(base, `out-${i}`);
      const r = await cli(['simulate', '--out', out, ...args]);
      expect(oneLine(r, 2), args.join(' ')).toMatch(message);
      await expect(stat(out), args.join(' ')).rejects.toThrow(/ENOENT/);
    }
  });

  it('an impossible date, a zero stall window, an argument demo does not take', async () => {
    const state = join(root, 'args-state');
    const cases: [string[], RegExp][] = [
      [
        ['list', '--as-of', '2026-02-30T00:00:00Z', '--state', state],
        /--as-of: 2026-02-30 is not a date of the calendar/,
      ],
      [
        ['analyze', root, '--as-of', '2026-04-31'],
        /--as-of: 2026-04-31 is not a date of the calendar/,
      ],
      [
        [
          'status',
          's3://rec-archive-prod/k',
          '--stall-window',
          '0',
          '--state',
          state,
        ],
        /--stall-window must be a duration from 1ms/,
      ],
      [['demo', 'extra-arg'], /unexpected argument 'extra-arg'/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, message], i) => {
      expect(oneLine(results[i] as CliResult, 2), args.join(' ')).toMatch(
        message,
      );
    });
  });

  it('--target aws without credentials says what to do', async () => {
    const r = await cli(
      [
        'status',
        's3://rec-archive-prod/k',
        '--target',
        'aws',
        '--table',
        't',
        '--region',
        'eu-west-1',
      ],
      {
        env: {
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          AWS_SESSION_TOKEN: '',
          AWS_PROFILE: '',
          AWS_SHARED_CREDENTIALS_FILE: join(root, 'none'),
          AWS_CONFIG_FILE: join(root, 'none'),
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
          AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
          AWS_WEB_IDENTITY_TOKEN_FILE: '',
        },
      },
    );
    expect(oneLine(r, 1)).toBe(
      "upload-sentinel: cannot reach AWS: no AWS credentials found (set AWS_PROFILE or run 'aws configure'), or use --target local",
    );
  });

  it('--target aws without a Region says what to do', async () => {
    const root = await folder('no-region');
    const r = await cli(
      ['status', 's3://rec-archive-prod/k', '--target', 'aws'],
      {
        env: {
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
          AWS_REGION: '',
          AWS_DEFAULT_REGION: '',
          AWS_PROFILE: '',
          AWS_SHARED_CREDENTIALS_FILE: join(root, 'none'),
          AWS_CONFIG_FILE: join(root, 'none'),
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      },
    );
    expect(oneLine(r, 1)).toBe(
      "upload-sentinel: cannot read the outputs of stack UploadSentinel: no AWS Region set (pass --region, set AWS_REGION, or a profile's region with AWS_PROFILE), or use --target local",
    );
  });
});

describe('a reader that stops early', () => {
  it('parse | head -1 ends quietly with exit 0', async () => {
    const file = join(await folder('pipe'), NAME);
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++)
      lines.push(failedUploadLines(`pipe/${i}.tar`, `U${i}`));
    await writeFile(file, lines.join(''));
    const r = await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'parse', file]);
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      // Like head -1: read the first chunk, then close the pipe.
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: '', stderr }));
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

/** Every data file of the local index with its SHA-256 (the info LOG apart). */
async function indexFingerprint(
  state: string,
): Promise<Record<string, string>> {
  const dir = join(state, 'dynamodb');
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort())
    out[name] = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
  return out;
}

describe('the local state folder', () => {
  let healthy: string;

  beforeAll(async () => {
    const logs = await folder('state/logs');
    await writeFile(join(logs, NAME), failedUploadLines('kept/1.tar', 'U1'));
    healthy = join(root, 'state/healthy');
    const r = await cli(['ingest', logs, '--state', healthy]);
    expect(r.code, r.stderr).toBe(0);
    // A second command compacts the write-ahead log into a table.
    expect((await statusOf(healthy, 'kept/1.tar')).code).toBe(0);
  });

  async function damaged(
    name: string,
    damage: (dir: string) => Promise<void>,
  ): Promise<string> {
    const state = join(root, `state/${name}`);
    await rm(state, { recursive: true, force: true });
    await mkdir(join(state, 'dynamodb'), { recursive: true });
    const dir = join(healthy, 'dynamodb');
    for (const f of await readdir(dir))
      await writeFile(join(state, 'dynamodb', f), await readFile(join(dir, f)));
    await damage(join(state, 'dynamodb'));
    return state;
  }

  const table = async (dir: string) =>
    join(dir, (await readdir(dir)).find((f) => f.endsWith('.ldb')) as string);
  const manifest = async (dir: string) =>
    join(dir, (await readFile(join(dir, 'CURRENT'), 'utf8')).trim());

  // Each damage through one command (all three commands for the first):
  // every command opens the index the same way.
  const damages: [
    string,
    (dir: string) => Promise<void>,
    RegExp,
    string[][],
  ][] = [
    [
      'CURRENT deleted',
      (dir) => unlink(join(dir, 'CURRENT')),
      /CURRENT is missing/,
      [
        ['status', 's3://rec-archive-prod/kept/1.tar'],
        ['list'],
        ['ingest', 'LOGS'],
      ],
    ],
    [
      'a damaged table',
      async (dir) => {
        const path = await table(dir);
        const buf = await readFile(path);
        for (let i = 100; i < 400; i++) buf[i] = (buf[i] as number) ^ 0x5a;
        await writeFile(path, buf);
      },
      /\d+\.ldb: checksum mismatch/,
      [['list']],
    ],
    [
      'an empty MANIFEST',
      async (dir) => truncate(await manifest(dir), 0),
      /MANIFEST-\d+ is empty/,
      [['status', 's3://rec-archive-prod/kept/1.tar']],
    ],
  ];

  for (const [what, damage, reason, commands] of damages) {
    it(`with ${what} is refused in one line, exit 2, nothing changed`, async () => {
      const state = await damaged(what.replace(/\W+/g, '-'), damage);
      const before = await indexFingerprint(state);
      for (const args of commands) {
        const given = args.map((a) =>
          a === 'LOGS' ? join(root, 'state/logs') : a,
        );
        const line = oneLine(await cli([...given, '--state', state]), 2);
        expect(line).toMatch(
          /^upload-sentinel: the local index in .* is damaged: /,
        );
        expect(line).toMatch(reason);
        expect(line).toMatch(/Nothing was changed; see docs\/local-state.md/);
      }
      expect(await indexFingerprint(state)).toEqual(before);
    });
  }

  it('in use by another command is refused in one line, exit 1, and is usable after', async () => {
    // Prepare: a live process holds the folder's lock, as a running
    // command does.
    const holder = spawn(process.execPath, [
      '-e',
      'setTimeout(() => {}, 60000)',
    ]);
    await writeFile(join(healthy, STATE_LOCK), `${holder.pid}\n`);
    try {
      for (const args of [
        ['list'],
        ['status', 's3://rec-archive-prod/kept/1.tar'],
      ])
        expect(oneLine(await cli([...args, '--state', healthy]), 1)).toMatch(
          /the state folder .* is in use by another upload-sentinel process \(pid \d+\); wait for it to finish/,
        );
    } finally {
      holder.kill();
    }
    await new Promise((r) => holder.once('exit', r));
    expect((await statusOf(healthy, 'kept/1.tar')).code).toBe(0);
  });
});
