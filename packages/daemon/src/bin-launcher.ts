#!/usr/bin/env node
// The `cavra-daemon` command: the bundled CLI (dist/bin/cavra-daemon.cjs, see tsup.bin.config.ts) run with a V8 code
// cache. dist/cli.js is the same command unbundled, loading the installed packages.
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from './code-cache.js';

runWithCodeCache(fileURLToPath(new URL('./bin/cavra-daemon.cjs', import.meta.url)));
