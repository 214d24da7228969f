/** `--check expected.json`: compares status records with a simulated day. */
import { readFile } from 'node:fs/promises';
import type { KeyStatusRecord } from '../core/model/derive.ts';
import { visible } from '../core/report/escape.ts';
import { compareWithExpected } from '../simulate/expected.ts';
import type { ExpectedDay } from '../simulate/simulate.ts';
import { RunError, UsageError } from './errors.ts';

export async function readExpected(path: string): Promise<ExpectedDay> {
  let expected: ExpectedDay;
  try {
    expected = JSON.parse(await readFile(path, 'utf8')) as ExpectedDay;
  } catch (err) {
    throw new UsageError(
      `cannot read --check file ${path}: ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  if (!Array.isArray(expected?.keys))
    throw new UsageError(`${path} is not an expected.json written by simulate`);
  return expected;
}

/** Prints the comparison on stderr; throws a RunError when anything differs. */
export function reportCheck(
  records: KeyStatusRecord[],
  expected: ExpectedDay,
  path: string,
): void {
  const c = compareWithExpected(records, expected);
  const bad = c.mismatched.length + c.missing.length + c.unexpected.length;
  process.stderr.write(
    `check: ${c.matched} of ${expected.keys.length} keys as expected, ${c.mismatched.length} differ, ${c.missing.length} missing, ${c.unexpected.length} unexpected\n`,
  );
  for (const m of c.mismatched.slice(0, 10)) {
    process.stderr.write(
      `  s3://${visible(m.bucket)}/${visible(m.key)}\n    expected ${JSON.stringify(m.expected)}\n    actual   ${JSON.stringify(m.actual)}\n`,
    );
  }
  for (const k of [...c.missing, ...c.unexpected].slice(0, 10))
    process.stderr.write(`  ${visible(k)}\n`);
  if (bad > 0) throw new RunError(`the status records differ from ${path}`);
}
