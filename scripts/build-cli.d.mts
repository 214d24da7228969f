/** Builds the CLI bundle into dist/cli (see build-cli.mjs). */
export function buildCli(): Promise<void>;
export const OUT_DIR: string;
export const INPUTS_FILE: string;
