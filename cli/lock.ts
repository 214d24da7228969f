/**
 * A lock file that gives one process a folder for the length of a run: made
 * with exclusive create, holding the owner's pid. Ctrl-C (SIGINT) or SIGTERM
 * removes the locks the process holds before it exits. A lock whose process
 * is gone (killed, crashed) is taken over, and so is one holding this
 * process's own pid that this process did not take: pids repeat (in a
 * container, every run may be pid 1 or so), so it was left by an earlier
 * process.
 */
import { rmSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RunError } from './errors.ts';

/** How long a lock file may stay empty (its owner writing its pid). */
const WRITING_MS = 5000;

/** The lock files this process holds (absolute paths). */
const held = new Set<string>();

/** Exit codes of a process ended by a signal, as a shell reports them. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

type Signal = keyof typeof SIGNAL_EXIT;

/**
 * Removes the locks held and exits as the signal would have: registered
 * while a lock is held, so that an interrupted run leaves none behind.
 */
function releaseAllAndExit(signal: Signal): void {
  for (const path of held) rmSync(path, { force: true });
  held.clear();
  process.exit(SIGNAL_EXIT[signal]);
}

function hold(path: string): void {
  if (held.size === 0)
    for (const signal of Object.keys(SIGNAL_EXIT) as Signal[])
      process.on(signal, releaseAllAndExit);
  held.add(path);
}

function unhold(path: string): void {
  if (!held.delete(path) || held.size > 0) return;
  for (const signal of Object.keys(SIGNAL_EXIT) as Signal[])
    process.off(signal, releaseAllAndExit);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the lock file, null if it has none yet, or undefined if gone. */
async function owner(path: string): Promise<number | null | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    const pid = Number.parseInt(text, 10);
    if (Number.isInteger(pid) && pid > 0) return pid;
    const age = Date.now() - (await stat(path)).mtimeMs;
    return age > WRITING_MS ? undefined : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Takes the lock file `path`, or throws a RunError saying that `what` is in
 * use. Returns the function that releases it. Until then, SIGINT and
 * SIGTERM remove it and exit (130, 143).
 */
export async function takeLock(
  path: string,
  what: string,
): Promise<() => Promise<void>> {
  const lock = resolve(path);
  await mkdir(dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await open(lock, 'wx');
      hold(lock);
      try {
        await file.writeFile(`${process.pid}\n`);
      } catch (err) {
        await rm(lock, { force: true });
        unhold(lock);
        throw err;
      } finally {
        await file.close();
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await rm(lock, { force: true });
        unhold(lock);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (held.has(lock))
      throw new RunError(
        `${what} is in use by this upload-sentinel process (pid ${process.pid}); wait for it to finish`,
      );
    const pid = await owner(lock);
    if (
      pid === null ||
      (pid !== undefined && pid !== process.pid && alive(pid))
    )
      throw new RunError(
        `${what} is in use by another upload-sentinel process${pid === null ? '' : ` (pid ${pid})`}; wait for it to finish`,
      );
    // Its owner is gone, or had this process's pid before it (this process
    // does not hold it): take it over. (Two processes taking over the same
    // stale lock at the same instant could both succeed; a stale lock is
    // rare enough, and the window small enough, to accept that.)
    await rm(lock, { force: true });
  }
  throw new RunError(`${what} is in use: cannot take its lock ${lock}`);
}
