#!/usr/bin/env node
// Entry point of the `upload-sentinel` command. The sources are TypeScript;
// tsx compiles them on the fly (with a cache), so a checkout needs no build.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
