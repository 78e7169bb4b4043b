// The daemon's CPU time per decision under persistent closed-loop clients, for several builds and the durable
// floor (O_DSYNC echo) in the same run: every build is started once (no auth, a log of its own), then BENCH_ROUNDS
// rounds of BENCH_SECONDS each, the targets taking turns in a rotating order within each round, so that a slow moment
// of the shared machine hits them all. Per target: the median CPU time (user + sys of the whole process, from /proc)
// per answered request, its spread over the rounds, and decisions/s; the load average beside every round.
//   cd packages/daemon && BENCH_BEFORE_CLI=<other build's dist/cli.js>[,...] npx tsx bench/decision-cpu.ts
// BENCH_CLIENTS (default 64), BENCH_ROUNDS (default 7), BENCH_SECONDS (default 2), BENCH_WARM_UP_SECONDS (default 6,
// per target), BENCH_DAEMON_CLI (default this package's dist/cli.js), BENCH_SHAPES (which of the shapes, by index,
// comma-separated; default all eight).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DSYNC_ECHO_SERVER } from './floor-servers.js';
import { cpuMicroseconds, machineLoad } from './process-cpu.js';
import { SHAPES } from './shapes.js';
import { median, runLoad, waitForSocket } from './socket-load.js';

const CLI = process.env.BENCH_DAEMON_CLI ?? fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const BUILDS = [...(process.env.BENCH_BEFORE_CLI?.split(',').filter(Boolean) ?? []), CLI];
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
// Until V8 has optimized the daemon's path: the first seconds cost twice the steady state.
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 6);

const dir = mkdtempSync(join(tmpdir(), 'cavra-cpu-'));
const children: ChildProcess[] = [];
const start = (args: string[]) => {
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  children.push(child);
  return child;
};

interface Target {
  readonly label: string;
  readonly socket: string;
  readonly pid: number | undefined;
  readonly line: (n: number) => string;
}
const shapes = process.env.BENCH_SHAPES?.split(',').map((index) => SHAPES[Number(index)]) ?? SHAPES;
if (shapes.some((shape) => shape === undefined)) throw new Error(`BENCH_SHAPES: no such shape`);
const bare = shapes.map((request) => `${JSON.stringify(request)}\n`);
const enveloped = (n: number) =>
  `${JSON.stringify({ v: 1, id: `c${n}`, type: 'evaluate', request: shapes[n % shapes.length] })}\n`;
const floorSocket = join(dir, 'dsync.sock');
const targets: Target[] = [
  {
    label: 'durable floor (O_DSYNC echo)',
    socket: floorSocket,
    pid: start(['-e', DSYNC_ECHO_SERVER, floorSocket, join(dir, 'dsync.log')]).pid,
    line: (n) => bare[n % bare.length] as string,
  },
  ...BUILDS.map((cli, b) => {
    const home = join(dir, `build${b}`);
    mkdirSync(home, { mode: 0o700 });
    const config = join(home, 'cavra-daemon.yaml');
    writeFileSync(
      config,
      'socket_path: run/d.sock\nevidence_log: evidence.jsonl\nlimits: { max_connections: 1024 }\n',
    );
    return {
      label: `build ${b}: ${cli}`,
      socket: join(home, 'run', 'd.sock'),
      pid: start([cli, 'start', '--foreground', '--config', config]).pid,
      line: enveloped,
    };
  }),
];

interface Sample {
  readonly cpu: number;
  readonly user: number;
  readonly sys: number;
  readonly perSecond: number;
}
const samples = targets.map(() => [] as Sample[]);
console.log(
  `before: ${machineLoad()}; ${CLIENTS} persistent clients, ${ROUNDS} rounds of ${SECONDS} s; shapes: ${shapes.map((shape) => `${shape?.action_type} ${shape?.target}`).join(' | ')}`,
);
try {
  await Promise.all(targets.map((target) => waitForSocket(target.socket)));
  for (const target of targets)
    await runLoad(target.socket, CLIENTS, 'persistent', WARM_UP_SECONDS, target.line);
  for (let round = 0; round < ROUNDS; round++) {
    const cells: string[] = [];
    for (let i = 0; i < targets.length; i++) {
      const t = (i + round) % targets.length;
      const target = targets[t] as Target;
      const before = cpuMicroseconds(target.pid);
      const load = await runLoad(target.socket, CLIENTS, 'persistent', SECONDS, target.line);
      const after = cpuMicroseconds(target.pid);
      if (!before || !after) throw new Error('no /proc: this bench reads CPU time from it');
      const requests = load.perSecond * SECONDS;
      const user = (after.user - before.user) / requests;
      const sys = (after.system - before.system) / requests;
      samples[t]?.push({ cpu: user + sys, user, sys, perSecond: load.perSecond });
      cells.push(`${t}: ${(user + sys).toFixed(1)} µs`);
    }
    console.log(`round ${round + 1} (${machineLoad()}): ${cells.join(', ')}`);
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
}
const fmt = (n: number, digits = 1) => n.toFixed(digits);
console.log('CPU per answered request, user + sys, median of the rounds (min-max); decisions/s (median)');
for (const [t, target] of targets.entries()) {
  const rows = samples[t] ?? [];
  const cpu = rows.map((row) => row.cpu);
  console.log(
    `  ${fmt(median(cpu)).padStart(6)} µs (${fmt(Math.min(...cpu))}-${fmt(Math.max(...cpu))}) = user ${fmt(median(rows.map((row) => row.user)))} + sys ${fmt(median(rows.map((row) => row.sys)))}; ${Math.round(median(rows.map((row) => row.perSecond)))}/s  ${target.label}`,
  );
}
// Each round's difference to the first build, as measured within that round: less of the machine's drift than the
// difference of the medians.
const first = samples[1] ?? [];
for (let t = 2; t < targets.length; t++) {
  const diffs = (samples[t] ?? []).map((row, round) => row.cpu - (first[round]?.cpu ?? Number.NaN));
  console.log(
    `  build ${t - 1} - build 0, per round: median ${fmt(median(diffs))} µs (${diffs.map((d) => fmt(d)).join(', ')})`,
  );
}
console.log(`after: ${machineLoad()}`);
