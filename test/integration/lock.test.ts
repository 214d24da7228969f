/**
 * The lock file of `demo` (cli/lock.ts): a lock left with this process's
 * pid by an earlier process (pids repeat in containers) is taken over, one
 * this process holds is not, and Ctrl-C or SIGTERM removes it on the way out.
 */
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunError } from '../../cli/errors.ts';
import { takeLock } from '../../cli/lock.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOCK_MODULE = fileURLToPath(
  new URL('../../cli/lock.ts', import.meta.url),
);

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentinel-lock-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('takeLock', () => {
  it("takes over a lock holding this process's pid that this process did not take", async () => {
    // Prepare: left by an earlier process that had the same pid.
    const path = join(dir, 'demo.lock');
    await writeFile(path, `${process.pid}\n`);

    // Act
    const release = await takeLock(path, 'the demo folder');

    // Assess: ours now, and gone once released.
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`);
    await release();
    await expect(access(path)).rejects.toThrow();
  });

  it('refuses a second takeLock of a lock this process holds, until it is released', async () => {
    // Prepare
    const path = join(dir, 'demo.lock');
    const release = await takeLock(path, 'the demo folder');

    // Act
    const second = takeLock(path, 'the demo folder');

    // Assess: refused in one line, the lock left as it was; free once
    // released.
    await expect(second).rejects.toThrow(RunError);
    await expect(second).rejects.toThrow(
      `the demo folder is in use by this upload-sentinel process (pid ${process.pid}); wait for it to finish`,
    );
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`);
    await release();
    const again = await takeLock(path, 'the demo folder');
    await again();
    await expect(access(path)).rejects.toThrow();
  });

  it('handles SIGINT and SIGTERM only while a lock is held', async () => {
    const before = {
      SIGINT: process.listenerCount('SIGINT'),
      SIGTERM: process.listenerCount('SIGTERM'),
    };
    const a = await takeLock(join(dir, 'a.lock'), 'a');
    const b = await takeLock(join(dir, 'b.lock'), 'b');
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT + 1);
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM + 1);
    await a();
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT + 1);
    await b();
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT);
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`removes the lock and exits ${code} on ${signal}`, async () => {
      // Prepare: a process that takes the lock and waits.
      const path = join(dir, 'demo.lock');
      const script = [
        `import { takeLock } from ${JSON.stringify(LOCK_MODULE)};`,
        `await takeLock(${JSON.stringify(path)}, 'the demo folder');`,
        "console.log('locked');",
        'setInterval(() => {}, 1000);',
      ].join('\n');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) =>
        child.on('close', (c) => resolve(c)),
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          if (String(d).includes('locked')) resolve();
        });
        child.on('close', () => reject(new Error(`no lock: ${stderr}`)));
      });
      expect(await readFile(path, 'utf8')).toBe(`${child.pid}\n`);

      // Act
      child.kill(signal);

      // Assess
      expect(await exited, stderr).toBe(code);
      await expect(access(path)).rejects.toThrow();
    });
  }
});
