// Decisions per second and p50/p99 latency over the daemon's Unix socket, one request per connection vs persistent
// connections, 1/8/64 concurrent clients, with and without HMAC runner auth; and the same load against a bare Node
// echo server on the same kind of socket (our floor), in the same run. Run: pnpm --filter @cavra/daemon bench.
// The daemon and the echo server run as child processes; every decision is fsync'ed to the evidence log.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { signRunnerClaims } from '@cavra/auth';
import { createClient } from '@cavra/daemon-client';

const SECONDS = 1.5;
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const SECRET = 'bench-only-secret-0123456789abcdef0123';
const REQUEST = {
  session_id: 'bench',
  agent_id: 'bench-agent',
  actor: 'bench@example.com',
  action_type: 'execute_command',
  target: 'npm test',
  requested_operation: 'npm test',
  policy_pack: 'cavra-ai-agent-baseline',
};

const ECHO_SERVER = `
const net = require('node:net');
net.createServer((s) => { let b = ''; s.setEncoding('utf8'); s.on('error', () => {});
  s.on('data', (c) => { b += c; for (let i = b.indexOf('\\n'); i !== -1; i = b.indexOf('\\n')) { s.write(b.slice(0, i + 1)); b = b.slice(i + 1); } });
  s.on('end', () => s.end());
}).listen(process.argv[1]);`;

async function waitFor(socketPath: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = connect(socketPath, () => {
        probe.destroy();
        resolve(true);
      });
      probe.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listening on ${socketPath}`);
}

/** One request/answer on a connection that is opened and closed for it. */
function oneShot(socketPath: string, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath, () => socket.end(line));
    socket.on('data', () => {});
    socket.on('end', () => resolve());
    socket.on('error', reject);
  });
}

/** A persistent connection: send a line, wait for the answer line, repeat. */
function persistent(socketPath: string): Promise<{ send(line: string): Promise<void>; close(): void }> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let waiting: (() => void) | undefined;
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      while (buffer.includes('\n')) {
        buffer = buffer.slice(buffer.indexOf('\n') + 1);
        const done = waiting;
        waiting = undefined;
        done?.();
      }
    });
    socket.on('error', reject);
    socket.on('connect', () =>
      resolve({
        send: (line) =>
          new Promise<void>((done) => {
            waiting = done;
            socket.write(line);
          }),
        close: () => socket.destroy(),
      }),
    );
  });
}

interface Result {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function load(
  socketPath: string,
  clients: number,
  mode: 'one-shot' | 'persistent',
  line: (n: number) => string,
): Promise<Result> {
  const latencies: number[] = [];
  let n = 0;
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const connection = mode === 'persistent' ? await persistent(socketPath) : undefined;
      while (performance.now() < deadline) {
        const text = line(n++);
        const start = performance.now();
        await (connection ? connection.send(text) : oneShot(socketPath, text));
        latencies.push(performance.now() - start);
      }
      connection?.close();
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: latencies.length / SECONDS, p50: at(0.5), p99: at(0.99) };
}

const dir = mkdtempSync(join(tmpdir(), 'cvb-'));
const children: ChildProcess[] = [];
function startChild(args: string[], env: NodeJS.ProcessEnv = {}): void {
  children.push(spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...env } }));
}

try {
  const echoSocket = join(dir, 'echo.sock');
  startChild(['-e', ECHO_SERVER, echoSocket]);
  const daemonSocket = join(dir, 'run', 'd.sock');
  writeFileSync(
    join(dir, 'cavra-daemon.yaml'),
    'socket_path: run/d.sock\nevidence_log: evidence.jsonl\nrunner_auth:\n  hmac:\n    keys: [{ key_id: bench, secret_env: BENCH_KEY }]\n    replay_cache_size: 1000000\nlimits: { max_connections: 1024 }\n',
  );
  startChild([CLI, 'start', '--foreground', '--config', join(dir, 'cavra-daemon.yaml')], {
    BENCH_KEY: SECRET,
  });
  await Promise.all([waitFor(echoSocket), waitFor(daemonSocket)]);

  const plain = `${JSON.stringify(REQUEST)}\n`;
  const v1 = (id: number, request: unknown) =>
    `${JSON.stringify({ v: 1, id: `b${id}`, type: 'evaluate', request })}\n`;
  // Unique signatures (the replay cache refuses reuse), signed before the clock starts.
  const signed = Array.from({ length: 60_000 }, (_, i) =>
    signRunnerClaims(
      { ...REQUEST, session_id: `bench-${i}` },
      { keyId: 'bench', secret: SECRET, ttlSeconds: 600 },
    ),
  ).map((request) => JSON.parse(JSON.stringify(request)));
  const { EvaluateRequestCodec } = await import('@cavra/contracts');
  const signedJson = signed.map((request) =>
    EvaluateRequestCodec.toJSON(EvaluateRequestCodec.fromJSON(request)),
  );
  let signedNext = 0;

  console.log(
    `${'scenario'.padEnd(46)}${'decisions/s'.padStart(12)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'vs echo'.padStart(9)}`,
  );
  for (const mode of ['one-shot', 'persistent'] as const) {
    for (const clients of [1, 8, 64]) {
      const echo = await load(echoSocket, clients, mode, () => plain);
      const row = (label: string, r: Result, ratio: string) =>
        console.log(
          `${label.padEnd(46)}${Math.round(r.perSecond).toString().padStart(12)}${r.p50.toFixed(2).padStart(9)}${r.p99.toFixed(2).padStart(9)}${ratio.padStart(9)}`,
        );
      row(`echo server, ${mode}, ${clients} clients`, echo, '1.00');
      const none = await load(daemonSocket, clients, mode, (n) =>
        mode === 'persistent' ? v1(n, REQUEST) : plain,
      );
      row(`daemon, no auth, ${mode}, ${clients} clients`, none, (none.perSecond / echo.perSecond).toFixed(2));
      const hmac = await load(daemonSocket, clients, mode, (n) => {
        const request = signedJson[signedNext++ % signedJson.length];
        return mode === 'persistent' ? v1(n, request) : `${JSON.stringify(request)}\n`;
      });
      row(`daemon, HMAC, ${mode}, ${clients} clients`, hmac, (hmac.perSecond / echo.perSecond).toFixed(2));
    }
  }
  const client = createClient({ socketPath: daemonSocket });
  const health = await client.health();
  await client.close();
  console.log(`evidence records written (each fsync'ed before its answer): ${health.evidence.records}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
}
