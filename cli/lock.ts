/**
 * A lock file that gives one process a folder for the length of a run: made
 * with exclusive create, holding the owner's pid. A lock whose process is
 * gone (killed, crashed) is taken over, so Ctrl-C never leaves one behind
 * for good.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RunError } from './errors.ts';

/** How long a lock file may stay empty (its owner writing its pid). */
const WRITING_MS = 5000;

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
 * use. Returns the function that releases it.
 */
export async function takeLock(
  path: string,
  what: string,
): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await open(path, 'wx');
      try {
        await file.writeFile(`${process.pid}\n`);
      } finally {
        await file.close();
      }
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = await owner(path);
    if (pid === null || (pid !== undefined && alive(pid)))
      throw new RunError(
        `${what} is in use by another upload-sentinel process${pid === null ? '' : ` (pid ${pid})`}; wait for it to finish`,
      );
    // Its owner is gone: take it over. (Two processes taking over the same
    // stale lock at the same instant could both succeed; a stale lock is
    // rare enough, and the window small enough, to accept that.)
    await rm(path, { force: true });
  }
  throw new RunError(`${what} is in use: cannot take its lock ${path}`);
}
