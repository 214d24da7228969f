/** Every command of `upload-sentinel`, loaded on demand. */
import type { CommandSpec, Parsed } from './args.ts';

/**
 * A command: its options and help (`spec`) and what it does with the parsed
 * arguments (`main.ts` parses them and answers `--help`).
 */
export interface CommandModule {
  spec: CommandSpec;
  run(p: Parsed): Promise<number>;
}

export interface Command {
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: Record<string, Command> = {
  parse: {
    summary: 'print access-log lines as JSON records',
    load: () => import('./commands/parse.ts'),
  },
  analyze: {
    summary: 'stateless audit: status of every key in log files',
    load: () => import('./commands/analyze.ts'),
  },
  simulate: {
    summary: 'write a realistic simulated day of access logs',
    load: () => import('./commands/simulate.ts'),
  },
  ingest: {
    summary: 'ingest log files into the index through the real ingest handler',
    load: () => import('./commands/ingest.ts'),
  },
  status: {
    summary: 'status of recording keys: s3://BUCKET/KEY...',
    load: () => import('./commands/status.ts'),
  },
  list: {
    summary: 'status records of all keys, or of a day, by status',
    load: () => import('./commands/list.ts'),
  },
  digest: {
    summary: 'run the daily digest for a day: Athena, reconcile, e-mail',
    load: () => import('./commands/digest.ts'),
  },
  backfill: {
    summary: 'ingest log objects already in a log bucket (resumable)',
    load: () => import('./commands/backfill.ts'),
  },
  demo: {
    summary: "the end-to-end demo ('npm start')",
    load: () => import('./commands/demo.ts'),
  },
};
