/** Log files named on the command line: files, or folders walked recursively. */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { UsageError } from './errors.ts';

/** Every file under the given paths, sorted within each folder; dot-files skipped. */
export async function listInputs(paths: string[]): Promise<string[]> {
  return (await listInputsWithRoots(paths)).map((f) => f.file);
}

/** A file and its path relative to the folder named on the command line. */
export interface InputFile {
  file: string;
  relative: string;
}

export async function listInputsWithRoots(
  paths: string[],
): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const p of paths) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw new UsageError(`no such file or folder: ${p}`);
      if (code === 'EACCES') throw new UsageError(`permission denied: ${p}`);
      throw err;
    }
    if (s.isDirectory()) {
      for (const file of await walk(p))
        out.push({ file, relative: relative(p, file) });
    } else {
      out.push({ file: p, relative: basename(p) });
    }
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** A file as a stream of large chunks (or stdin for `-`). */
export function openInput(path: string): AsyncIterable<Uint8Array> {
  if (path === '-') return process.stdin;
  return createReadStream(path, { highWaterMark: 1 << 20 });
}
