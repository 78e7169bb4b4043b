// Where the daemon's CPU goes per decision: the daemon (no auth, a log of its own) under `node --cpu-prof`, 64
// persistent closed-loop clients sending the socket bench's request shapes, 1 s of warm-up then BENCH_SECONDS
// (default 10), then the profile's top self-time items over the measured seconds only (not the start, not the
// warm-up), as shares of the main thread's busy time (idle left out), and where the profile was written.
//   cd packages/daemon && npx tsx bench/decision-profile.ts
// BENCH_DAEMON_CLI picks the build (default dist/cli.js: unbundled, so each item names its source file).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLoad } from './process-cpu.js';
import { SHAPES } from './shapes.js';
import { runLoad, waitForSocket } from './socket-load.js';

const CLI = process.env.BENCH_DAEMON_CLI ?? fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = 64;
const TOP = 25;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'cavra-profile-'));
const config = join(dir, 'cavra-daemon.yaml');
writeFileSync(
  config,
  'socket_path: run/d.sock\nevidence_log: evidence.jsonl\nlimits: { max_connections: 1024 }\n',
);
const socketPath = join(dir, 'run', 'd.sock');
const profiles = join(dir, 'profile');
console.log(`before: ${machineLoad()}`);
const spawned = performance.now();
const daemon = spawn(
  process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${profiles}`, CLI, 'start', '--foreground', '--config', config],
  { stdio: 'ignore' },
);
await waitForSocket(socketPath);
const frame = (n: number) =>
  `${JSON.stringify({ v: 1, id: `p${n}`, type: 'evaluate', request: SHAPES[n % SHAPES.length] })}\n`;
await runLoad(socketPath, CLIENTS, 'persistent', 1, frame);
// The profile's clock starts with the process: its samples before this point are the start and the warm-up.
const measuredFrom = (performance.now() - spawned) * 1000;
const load = await runLoad(socketPath, CLIENTS, 'persistent', SECONDS, frame);
daemon.kill('SIGTERM');
await new Promise((resolve) => daemon.once('exit', resolve));
console.log(`after: ${machineLoad()}`);

const [file] = readdirSync(profiles);
const profile = JSON.parse(readFileSync(join(profiles, file as string), 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const maps = new Map<string, SourceMap | undefined>();
/** The source file a built chunk's position comes from (its source map), else the chunk's own name. */
function sourceOf(url: string, line: number, column: number): string {
  if (!maps.has(url)) {
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    maps.set(
      url,
      existsSync(`${path}.map`) ? new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))) : undefined,
    );
  }
  const source = maps.get(url)?.findEntry(line, column);
  const file = source && 'originalSource' in source ? source.originalSource : url;
  return file.split('/').slice(-3).join('/');
}
const self = new Map<string, number>();
const byPart = new Map<string, number>();
/** Which part a frame is in: one of our packages, a dependency, Node's own JavaScript, or V8 and native code. */
function partOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : 'native (V8 and Node built-ins)';
  if (url.startsWith('node:')) return "Node's own JavaScript (streams, net, timers, ...)";
  const ours = /packages\/([^/]+)\//.exec(url);
  if (ours && !url.includes('node_modules')) return `@cavra/${ours[1]}`;
  return /node_modules\/(?:\.pnpm\/)?(@?[^/@]+)/.exec(url)?.[1] ?? url;
}
let busy = 0;
let at = 0;
profile.samples.forEach((id, i) => {
  const micros = profile.timeDeltas[i] ?? 0;
  at += micros;
  const frameOf = (nodes.get(id) as ProfileNode).callFrame;
  if (at < measuredFrom || frameOf.functionName === '(idle)') return;
  busy += micros;
  const where = frameOf.url ? ` ${sourceOf(frameOf.url, frameOf.lineNumber, frameOf.columnNumber)}` : '';
  const key = `${frameOf.functionName || '(anonymous)'}${where}`;
  self.set(key, (self.get(key) ?? 0) + micros);
  const part = partOf(frameOf.url, frameOf.functionName);
  byPart.set(part, (byPart.get(part) ?? 0) + micros);
});
const decisions = load.perSecond * SECONDS;
console.log(
  `${CLIENTS} persistent clients, ${SECONDS} s: ${Math.round(load.perSecond)} decisions/s under the profiler; main thread busy ${(busy / 1000).toFixed(0)} ms = ${(busy / decisions).toFixed(1)} µs per decision (${CLI})`,
);
console.log('top self time, share of the busy main thread:');
for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`${((micros / busy) * 100).toFixed(1).padStart(6)} %  ${key}`);
}
console.log('self time by part:');
for (const [part, micros] of [...byPart].sort((a, b) => b[1] - a[1])) {
  console.log(`${((micros / busy) * 100).toFixed(1).padStart(6)} %  ${part}`);
}
console.log(`profile: ${join(profiles, file as string)}`);
