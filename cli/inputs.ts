/**
 * Log files named on the command line: files, or folders walked
 * recursively. Symbolic links are followed, to files and to folders; a link
 * that loops back to a folder it is inside, a broken link, a folder that
 * cannot be read or an entry that is neither a file nor a folder is a
 * UsageError naming it: nothing is skipped without a word (dot-files apart,
 * as `ls` does).
 */
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { visible } from '../core/report/escape.ts';
import { UsageError } from './errors.ts';

/**
 * Every file under the given paths, sorted within each folder; dot-files
 * skipped. A pipe or device named on the command line itself is read as a
 * file (`parse <(zcat day.log.gz)`); one found inside a folder is an error.
 */
export async function listInputs(paths: string[]): Promise<string[]> {
  return (await listInputsWithRoots(paths, { streams: true })).map(
    (f) => f.file,
  );
}

/** A file and its path relative to the folder named on the command line. */
export interface InputFile {
  file: string;
  relative: string;
}

/** Kernel file systems: their folders hold no log files, and loop back to /. */
export const KERNEL_FS = /^\/(proc|sys|dev)(\/|$)/;

function kernelFolder(path: string, real: string): UsageError {
  return new UsageError(
    `${visible(path)} is a folder of a kernel file system (${visible(real)}), not of log files`,
  );
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'a loop of symbolic links',
  ENOTDIR: 'a path component is not a folder',
  EISDIR: 'a folder, not a file',
  EIO: 'input/output error',
  ENAMETOOLONG: 'name too long',
};

/**
 * One line for a file-system error on `path`: what the user can act on
 * (`EACCES` as "permission denied", and so on), or the error code.
 */
export function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return (err as Error)?.message ?? String(err);
  return REASONS[code] ?? code;
}

/** A UsageError for a path that cannot be read: `cannot read PATH: reason`. */
export function unreadable(path: string, err: unknown): UsageError {
  return new UsageError(
    `cannot read ${visible(path)}: ${fileErrorReason(err)}`,
    { cause: err },
  );
}

/**
 * As `listInputs`, with each file's path relative to the folder named.
 * `streams`: accept a pipe or device named on the command line (default
 * false: `ingest` reads each file twice, which a pipe cannot give).
 */
export async function listInputsWithRoots(
  paths: string[],
  o: { streams?: boolean } = {},
): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const p of paths) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw new UsageError(`no such file or folder: ${visible(p)}`, {
          cause: err,
        });
      throw unreadable(p, err);
    }
    if (s.isDirectory()) {
      const real = await realpath(p);
      if (KERNEL_FS.test(real)) throw kernelFolder(p, real);
      for (const file of await walk(p, [real], new Set([real])))
        out.push({ file, relative: relative(p, file) });
    } else if (
      s.isFile() ||
      (o.streams === true && (s.isFIFO() || s.isCharacterDevice()))
    ) {
      out.push({ file: p, relative: basename(p) });
    } else {
      throw new UsageError(
        `${visible(p)} is not a regular file or folder (a device, pipe or socket)`,
      );
    }
  }
  return out;
}

/**
 * The files under `dir`, following symbolic links. `ancestors` are the real
 * paths of the folders being walked (a link to one of them is a loop);
 * `seen` the real paths of every folder walked so far (a folder reached a
 * second time through another link is walked once).
 */
async function walk(
  dir: string,
  ancestors: string[],
  seen: Set<string>,
): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new UsageError(
      `cannot read the folder ${visible(dir)}: ${fileErrorReason(err)}`,
      { cause: err },
    );
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      let target: Awaited<ReturnType<typeof stat>>;
      try {
        target = await stat(p);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT')
          throw new UsageError(
            `${visible(p)} is a broken symbolic link (its target does not exist)`,
            { cause: err },
          );
        if (code === 'ELOOP')
          throw new UsageError(
            `${visible(p)} is a loop of symbolic links (each points to the next)`,
            { cause: err },
          );
        throw unreadable(p, err);
      }
      isDir = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDir) {
      const real = await realpath(p);
      if (ancestors.includes(real))
        throw new UsageError(
          `symbolic link loop: ${visible(p)} leads back to ${visible(real)}, a folder it is inside`,
        );
      if (KERNEL_FS.test(real)) throw kernelFolder(p, real);
      // Reached before through another link: its files are listed already.
      if (seen.has(real)) continue;
      seen.add(real);
      out.push(...(await walk(p, [...ancestors, real], seen)));
    } else if (isFile) {
      out.push(p);
    } else {
      throw new UsageError(
        `${visible(p)} is not a regular file or folder (a device, pipe or socket)`,
      );
    }
  }
  return out;
}

/** A file as a stream of large chunks (or stdin for `-`). */
export function openInput(path: string): AsyncIterable<Uint8Array> {
  if (path === '-') return process.stdin;
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/**
 * Reads `path` through `each` chunk by chunk; a file-system error (the file
 * gone, unreadable, a folder, an input/output error) is a UsageError naming
 * the file, never a stack trace.
 */
export async function readInput(
  path: string,
  each: (chunk: Uint8Array) => void | Promise<void>,
): Promise<void> {
  try {
    for await (const chunk of openInput(path)) await each(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code !== undefined)
      throw unreadable(path === '-' ? '<stdin>' : path, err);
    throw err;
  }
}
