#!/usr/bin/env node
// Entry point of the `upload-sentinel` command. The sources are TypeScript;
// tsx compiles them on the fly (with a cache), so a checkout needs no build.
import { register } from 'tsx/esm/api';

// Versions are pinned; the SDK's notice about future Node 22 releases is
// not actionable here (README, Troubleshooting).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Handler logs go to the state folder's log, not the terminal, unless asked.
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.SENTINEL_DEBUG
  ? 'DEBUG'
  : 'SILENT';

register();
await import('../cli/main.ts');
