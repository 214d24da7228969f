/** Every command of `upload-sentinel`, loaded on demand. */
import type { Flags } from './args.ts';

export interface CommandModule {
  run(argv: string[]): Promise<number>;
  help: string;
  flags: Flags;
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
  demo: {
    summary: "the end-to-end demo ('npm start')",
    load: () => import('./commands/demo.ts'),
  },
};
