#!/usr/bin/env node
// Entry point of the `upload-sentinel` command. It runs the JavaScript that
// `npm ci` built into dist/cli (scripts/build-cli.mjs). When a source file
// is newer than that build (a checkout being edited), it rebuilds first, in
// about half a second, so the command never runs stale code.
import { readFileSync, statSync } from 'node:fs';

// Versions are pinned; the SDK's notice about future Node 22 releases is
// not actionable here (docs/operations.md).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Handler logs are silenced (they would interleave with the command's own
// output) unless SENTINEL_DEBUG asks for them.
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.SENTINEL_DEBUG
  ? 'DEBUG'
  : 'SILENT';

const root = new URL('../', import.meta.url);

function stale() {
  try {
    const { built, inputs } = JSON.parse(
      readFileSync(new URL('dist/cli/inputs.json', root), 'utf8'),
    );
    return inputs.some((f) => statSync(new URL(f, root)).mtimeMs > built);
  } catch {
    return true;
  }
}

if (stale()) {
  const { buildCli } = await import('../scripts/build-cli.mjs');
  await buildCli();
}
await import('../dist/cli/main.mjs');
