#!/usr/bin/env node
// `npm run fleet:up`: a local 3-node NATS JetStream cluster for trying fleet mode, until Ctrl-C.
//   npm run fleet:up -- [--nodes 3] [--port 4222] [--dir FOLDER]
// Client ports are --port and the next ones; --dir keeps the store folders (and so the buckets) across runs.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startNatsCluster } from './nats-cluster.mjs';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    port: { type: 'string', default: '4222' },
    dir: { type: 'string' },
  },
});
const nodes = Number(values.nodes);
const first = Number(values.port);
if (!Number.isInteger(nodes) || nodes < 1) fail(`--nodes must be an integer ≥ 1, got ${values.nodes}`);
if (!Number.isInteger(first) || first < 1 || first + nodes - 1 > 65535)
  fail(`--port must be a port, got ${values.port}`);
const dir = values.dir === undefined ? undefined : resolve(values.dir);
if (dir !== undefined) await mkdir(dir, { recursive: true });

let cluster;
try {
  cluster = await startNatsCluster({ nodes, dir, ports: Array.from({ length: nodes }, (_, i) => first + i) });
} catch (error) {
  fail(error.message);
}
process.stdout.write(
  `NATS JetStream cluster up (${nodes} node${nodes === 1 ? '' : 's'}, store under ${cluster.dir})\n` +
    `servers: ${cluster.servers.join(',')}\n` +
    `try: cavra fleet status --nats ${cluster.servers[0]}\n` +
    'Ctrl-C stops it.\n',
);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    process.stdout.write('stopping...\n');
    await cluster.stop();
    process.exit(0);
  });
}

function fail(message) {
  process.stderr.write(`fleet:up: ${message}\n`);
  process.exit(1);
}
