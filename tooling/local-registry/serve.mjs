#!/usr/bin/env node
// `pnpm registry`: the @cavra packages of this checkout on a local npm registry, until Ctrl-C, for installing them
// by name in your own projects before they are on the public registry. Usage: node serve.mjs [--port 4873]
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packAll, publishAll, scopeLine, startRegistry } from './registry.mjs';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4873' } } });
const work = mkdtempSync(join(tmpdir(), 'cavra-registry-'));
const registry = await startRegistry(join(work, 'registry'), { port: Number(values.port) });
const shutdown = async () => {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
};
process.once('SIGINT', shutdown).once('SIGTERM', shutdown).once('SIGHUP', shutdown);
// `pnpm registry` killed: pnpm does not pass the signal on, so the script stops when it loses its parent.
createRequire(import.meta.url)('./parent-watch.cjs').watchParent(shutdown);
try {
  publishAll(registry, packAll(join(work, 'tarballs')));
} catch (error) {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
  throw error;
}
console.log(
  `\nThe @cavra packages are on ${registry.url} until Ctrl-C. In your project:\n\n` +
    `  echo '${scopeLine(registry).trim()}' >> .npmrc\n  npm install @cavra/daemon-client\n`,
);
