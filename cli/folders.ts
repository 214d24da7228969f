/**
 * Folders the CLI writes into (`--out`, `--state`): checked before any work
 * starts, so a path that cannot be a folder is one line and exit 2, never a
 * stack trace or a hang.
 */
import { constants } from 'node:fs';
import { access, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { visible } from '../core/report/escape.ts';
import { UsageError } from './errors.ts';
import { fileErrorReason, KERNEL_FS } from './inputs.ts';

/**
 * Makes sure `path` is a folder this process can write into, creating it
 * (and its parents) when missing; returns its absolute path. `what` names
 * where the path came from (`--out`, `--state`) in the error.
 */
export async function writableFolder(
  path: string,
  what: string,
): Promise<string> {
  const abs = resolve(path);
  const bad = (why: string) =>
    new UsageError(
      `${what} ${visible(abs)}${why.startsWith('is ') ? ' ' : ': '}${why}`,
    );
  // The nearest part of the path that exists.
  let probe = abs;
  let found: Awaited<ReturnType<typeof stat>>;
  for (;;) {
    try {
      found = await stat(probe);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || dirname(probe) === probe)
        throw bad(fileErrorReason(err));
      probe = dirname(probe);
    }
  }
  const real = await realpath(probe).catch(() => probe);
  if (KERNEL_FS.test(real))
    throw bad(
      `${visible(real)} is in a kernel file system (/proc, /sys, /dev), not a folder on disk`,
    );
  if (!found.isDirectory())
    throw bad(
      probe === abs
        ? 'is a file, not a folder'
        : `${visible(probe)} is a file, not a folder`,
    );
  try {
    await access(probe, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw bad(`cannot write in ${visible(probe)}: ${fileErrorReason(err)}`);
  }
  if (probe !== abs) {
    try {
      await mkdir(abs, { recursive: true });
    } catch (err) {
      throw bad(`cannot create it: ${fileErrorReason(err)}`);
    }
  }
  return abs;
}
