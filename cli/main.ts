/**
 * The `upload-sentinel` command: dispatches to one module per command and
 * turns errors into exit codes. A user error prints one line, never a stack
 * (set SENTINEL_DEBUG=1 to see one).
 */

import { visible } from '../core/report/escape.ts';
import pkg from '../package.json' with { type: 'json' };
import { bool, helpOf, parseCommand } from './args.ts';
import {
  CliError,
  isCredentialsError,
  isRegionError,
  NO_CREDENTIALS,
  NO_REGION,
  RunError,
  UsageError,
} from './errors.ts';
import { COMMANDS } from './registry.ts';

function version(): string {
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`,
  );
  return `upload-sentinel ${version()}: large S3 uploads must never fail silently.

Usage: upload-sentinel <command> [options]

Commands:
${lines.join('\n')}

Run 'upload-sentinel <command> --help' for a command's options.
Options: --version, --help`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // Bad usage: the usage goes to stderr, so stdout stays empty for pipes.
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version());
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(
      `upload-sentinel: unknown command '${visible(name)}' (run 'upload-sentinel --help' for the list)\n`,
    );
    return 2;
  }
  const mod = await command.load();
  const p = parseCommand(mod.spec, rest);
  if (bool(p, 'help')) {
    console.log(helpOf(mod.spec));
    return 0;
  }
  return mod.run(p);
}

/**
 * Prints `err` as one line on stderr and returns the exit code: a CliError's
 * own, 1 for anything unexpected (SENTINEL_DEBUG=1 shows the stack).
 */
function report(thrown: unknown): number {
  let err = thrown;
  if (process.env.SENTINEL_DEBUG) console.error(err);
  if (!(err instanceof CliError) && isCredentialsError(err))
    err = new RunError(`cannot reach AWS: ${NO_CREDENTIALS}`);
  if (!(err instanceof CliError) && isRegionError(err))
    err = new RunError(`cannot reach AWS: ${NO_REGION}`);
  // Damage the check before opening could not see (a table damaged while
  // the command ran) surfaces from inside the local DynamoDB stand-in.
  if ((err as { code?: string } | null)?.code === 'LEVEL_CORRUPTION')
    err = new UsageError(
      `the local index is damaged: ${(err as Error).message}; see docs/local-state.md to recover`,
    );
  if (err instanceof CliError) {
    // A usage error says what to read next, if it does not already.
    const name = process.argv[2];
    const hint =
      err instanceof UsageError &&
      !/--help|\(see |; see /.test(err.message) &&
      name !== undefined &&
      name in COMMANDS
        ? ` (see 'upload-sentinel ${name} --help')`
        : '';
    // Messages quote what the user typed or the logs hold: shown through
    // visible(), so no control character reaches the terminal and the
    // message stays one line (idempotent on text already made visible).
    process.stderr.write(`upload-sentinel: ${visible(err.message)}${hint}\n`);
    return err.exitCode;
  }
  const msg =
    (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  process.stderr.write(
    `upload-sentinel: unexpected error: ${visible(msg)} (SENTINEL_DEBUG=1 shows details)\n`,
  );
  return 1;
}

// A reader that stops early (`parse ... | head -1`) closes the pipe: that
// is the reader's choice, not a failure, so the command ends quietly.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.exitCode = report(err);
  });

// An error no caller awaited (a stream's 'error' event, a stand-in's
// callback) still ends in one line, never a stack trace.
process.on('uncaughtException', (err) => {
  process.exit(report(err));
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.exitCode = report(err);
}
