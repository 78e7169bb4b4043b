// The daemon against three floors measured in the same run (see floor-servers.ts): decisions per second and p50/p99
// latency over its Unix socket, persistent connections and one request per connection, 1 and 64 closed-loop clients,
// without auth, with HMAC runner auth, and under a flood of bad signatures; then cold start to first decision, and
// memory. Every cell is warmed up, then measured in ROUNDS interleaved rounds (the targets take turns, so a slow
// moment of the machine hits them all); each figure is the median with its spread (min-max) across rounds, and the
// verdict lines are ratios. Run: pnpm --filter @cavra/daemon bench. BENCH_DECISIONS=1000000 adds the memory figure
// after that many decisions (about a minute per 1,000,000 on 2 cores); BENCH_ONLY=cold-start runs only the cold starts
// (BENCH_STARTS of them, default 5), against the echo server. The machine's load is printed before and after.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { signRunnerClaims } from '@cavra/auth';
import { EvaluateRequestCodec } from '@cavra/contracts';
import { DSYNC_ECHO_SERVER, DURABLE_ECHO_SERVER, ECHO_SERVER } from './floor-servers.js';
import { type CpuTime, cpuMicroseconds, machineLoad, schedCpuMs } from './process-cpu.js';
import { SHAPES } from './shapes.js';
import {
  type ConnectionMode,
  type LoadResult,
  median,
  oneShot,
  runLoad,
  waitForSocket,
} from './socket-load.js';

const ROUNDS = 3;
const SECONDS = 1;
const WARM_UP_SECONDS = 0.3;
// BENCH_DAEMON_CLI: another build's dist/cli.js, to compare two versions on the same machine and floors.
const CLI = process.env.BENCH_DAEMON_CLI ?? fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const SECRET = 'bench-only-secret-0123456789abcdef0123';
const COLD_START_ONLY = process.env.BENCH_ONLY === 'cold-start';
const STARTS = Number(process.env.BENCH_STARTS ?? 5);
// BENCH_FIRST: which of the shapes the cold starts' first request is (default 0, a read; 5 is a command with shell
// syntax, which waits for the shell grammar).
const FIRST_SHAPE = Number(process.env.BENCH_FIRST ?? 0);

const dir = mkdtempSync(join(tmpdir(), 'cvb-'));
const children = new Set<ChildProcess>();
function startChild(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...env } });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const configPath = join(dir, 'cavra-daemon.yaml');
writeFileSync(
  configPath,
  'socket_path: run/d.sock\nevidence_log: evidence.jsonl\nrunner_auth:\n  hmac:\n    keys: [{ key_id: bench, secret_env: BENCH_KEY }]\n    replay_cache_size: 1000000\nlimits: { max_connections: 1024 }\n',
);
const daemonSocket = join(dir, 'run', 'd.sock');
const startDaemon = (config = configPath) =>
  startChild([CLI, 'start', '--foreground', '--config', config], { BENCH_KEY: SECRET });
// The same daemon with a log of its own, for the cold start of a daemon whose log holds no live signature.
const freshDir = join(dir, 'fresh');
mkdirSync(freshDir, { mode: 0o700 });
const freshConfigPath = join(freshDir, 'cavra-daemon.yaml');
writeFileSync(freshConfigPath, readFileSync(configPath, 'utf8'));
const freshSocket = join(freshDir, 'run', 'd.sock');
const echoSocket = join(dir, 'echo.sock');
const durableSocket = join(dir, 'durable.sock');
const dsyncSocket = join(dir, 'dsync.sock');

const bare = SHAPES.map((request) => `${JSON.stringify(request)}\n`);
const firstLine = ((line) => {
  if (line === undefined) throw new Error(`BENCH_FIRST: no shape ${FIRST_SHAPE}`);
  return line;
})(bare[FIRST_SHAPE]);
const enveloped = (n: number, request: unknown) =>
  `${JSON.stringify({ v: 1, id: `b${n}`, type: 'evaluate', request })}\n`;
// Unique signatures (the replay cache refuses reuse), signed before any clock starts, valid for the daemon's longest
// accepted window (max_ttl_seconds, default 600 s): the whole bench fits in it.
const signed = Array.from({ length: COLD_START_ONLY ? 0 : 250_000 }, (_, i) => {
  const request = signRunnerClaims(
    { ...SHAPES[i % SHAPES.length], session_id: `bench-${i}` },
    { keyId: 'bench', secret: SECRET, ttlSeconds: 600 },
  );
  return EvaluateRequestCodec.toJSON(EvaluateRequestCodec.fromJSON(JSON.parse(JSON.stringify(request))));
});
/** The next unused signed request; running out would time replays, so the bench stops instead. */
function nextSigned() {
  const request = signed[signedNext++];
  if (!request) throw new Error(`the bench used all ${signed.length} signed requests; sign more`);
  return request;
}
const badlySigned = signed.slice(0, 20_000).map((request) => {
  const auth = request.runner_auth as Record<string, unknown>;
  const signature = String(auth.signature);
  return {
    ...request,
    runner_auth: { ...auth, signature: `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}` },
  };
});
let signedNext = 0;

interface Target {
  readonly label: string;
  readonly socket: string;
  readonly line: (mode: ConnectionMode, n: number) => string;
  /** The serving process, whose CPU time per request is reported. */
  readonly pid: () => number | undefined;
}
const pids = new Map<string, number | undefined>();
const pidOf = (name: string) => () => pids.get(name);
const plainLine = (_mode: ConnectionMode, n: number) => bare[n % bare.length] as string;
const TARGETS: Target[] = [
  { label: 'echo server', socket: echoSocket, line: plainLine, pid: pidOf('echo') },
  { label: 'durable echo server', socket: durableSocket, line: plainLine, pid: pidOf('durable') },
  { label: 'durable echo, O_DSYNC', socket: dsyncSocket, line: plainLine, pid: pidOf('dsync') },
  {
    label: 'daemon, no auth',
    socket: daemonSocket,
    pid: pidOf('daemon'),
    line: (mode, n) =>
      mode === 'persistent' ? enveloped(n, SHAPES[n % SHAPES.length]) : (bare[n % bare.length] as string),
  },
  {
    label: 'daemon, HMAC',
    socket: daemonSocket,
    pid: pidOf('daemon'),
    line: (mode, n) => {
      const request = nextSigned();
      return mode === 'persistent' ? enveloped(n, request) : `${JSON.stringify(request)}\n`;
    },
  },
  {
    label: 'daemon, bad signatures',
    socket: daemonSocket,
    pid: pidOf('daemon'),
    line: (mode, n) => {
      const request = badlySigned[n % badlySigned.length];
      return mode === 'persistent' ? enveloped(n, request) : `${JSON.stringify(request)}\n`;
    },
  },
];

interface Run extends LoadResult {
  /** CPU time of the serving process per request, in µs; undefined without /proc. */
  readonly cpuPerRequest: CpuTime | undefined;
}
interface Cell {
  readonly runs: Run[];
}
const summary = (cell: Cell) => ({
  cpu: cell.runs.every((r) => r.cpuPerRequest !== undefined)
    ? {
        user: median(cell.runs.map((r) => (r.cpuPerRequest as CpuTime).user)),
        system: median(cell.runs.map((r) => (r.cpuPerRequest as CpuTime).system)),
      }
    : undefined,
  perSecond: median(cell.runs.map((r) => r.perSecond)),
  min: Math.min(...cell.runs.map((r) => r.perSecond)),
  max: Math.max(...cell.runs.map((r) => r.perSecond)),
  p50: median(cell.runs.map((r) => r.p50)),
  p99: median(cell.runs.map((r) => r.p99)),
});

/** Resident memory of `pid` now (VmRSS) or at its peak so far (VmHWM), in MiB. */
function rssMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
}

/**
 * Spawn to first answer, in ms, the process's CPU time by then (user + system, all its threads, ms: on a loaded
 * machine the wall-clock time is mostly waiting for a core, the CPU time is not), and its peak RSS by then (MiB).
 */
async function coldStart(
  start: () => ChildProcess,
  socket: string,
  line: string,
): Promise<{ ms: number; cpuMs: number; mainMs: number; threadsMs: number; peakMiB: number }> {
  const begin = performance.now();
  const child = start();
  await waitForSocket(socket);
  const answer = await oneShot(socket, line);
  const ms = performance.now() - begin;
  if (!answer.includes('"')) throw new Error(`no answer from ${socket}`);
  // The bare form answers a request the daemon failed to decide with a block of its own: not a first decision.
  if (answer.includes('"rule_id":"daemon.')) throw new Error(`no decision from ${socket}: ${answer}`);
  const cpu = cpuMicroseconds(child.pid);
  const cpuMs = cpu ? (cpu.user + cpu.system) / 1000 : Number.NaN;
  const sched = schedCpuMs(child.pid);
  const peakMiB = rssMiB(child.pid, 'VmHWM');
  await stopChild(child);
  return { ms, cpuMs, mainMs: sched?.main ?? Number.NaN, threadsMs: sched?.all ?? Number.NaN, peakMiB };
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

/**
 * Cold starts of the daemon (a log of its own) and of the echo server, interleaved, as medians and their ratio;
 * BENCH_BEFORE_CLI: other builds' commands (comma-separated), started in each round too, before this build's.
 */
async function coldStartsOnly(): Promise<void> {
  const builds = [...(process.env.BENCH_BEFORE_CLI?.split(',') ?? []), CLI];
  const startBuild = (cli: string) =>
    startChild([cli, 'start', '--foreground', '--config', freshConfigPath], { BENCH_KEY: SECRET });
  // The command as installed writes its code cache a second after a start (src/code-cache.ts), as a user's daemon,
  // which runs for hours, does at its first start: one start that lives that long first, so that the starts timed
  // below read the cache on a fresh machine too.
  for (const cli of builds) {
    const warm = startBuild(cli);
    await waitForSocket(freshSocket);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await stopChild(warm);
  }
  type Start = Awaited<ReturnType<typeof coldStart>>;
  const daemons = builds.map(() => [] as Start[]);
  const echo: Start[] = [];
  for (let i = 0; i < STARTS; i++) {
    const coldSocket = `${echoSocket}.cold${i}`;
    echo.push(await coldStart(() => startChild(['-e', ECHO_SERVER, coldSocket]), coldSocket, firstLine));
    for (const [b, cli] of builds.entries()) {
      daemons[b]?.push(await coldStart(() => startBuild(cli), freshSocket, firstLine));
    }
  }
  const [e, ec] = [median(echo.map((s) => s.ms)), median(echo.map((s) => s.cpuMs))];
  const [em, et] = [median(echo.map((s) => s.mainMs)), median(echo.map((s) => s.threadsMs))];
  console.log(`cold start to first decision, ${STARTS} interleaved starts each (ms); first request: ${SHAPES[FIRST_SHAPE]?.action_type} ${SHAPES[FIRST_SHAPE]?.target}
  echo   ${echo.map((s) => fmt(s.ms)).join(' ')}`);
  for (const [b, cli] of builds.entries()) {
    const daemon = daemons[b] ?? [];
    const [d, dc] = [median(daemon.map((s) => s.ms)), median(daemon.map((s) => s.cpuMs))];
    const [dm, dt] = [median(daemon.map((s) => s.mainMs)), median(daemon.map((s) => s.threadsMs))];
    console.log(`  daemon ${daemon.map((s) => fmt(s.ms)).join(' ')}
  medians: daemon ${fmt(d)} ms / echo ${fmt(e)} ms = ${fmt(d / e, 2)} (target <= 2.00); ${cli}
  CPU time by the first answer (user + system, ms, 10 ms ticks): daemon ${fmt(dc)} / echo ${fmt(ec)} = ${fmt(dc / ec, 2)}
  on-CPU time by the first answer (schedstat, ms): main thread: daemon ${fmt(dm, 1)} / echo ${fmt(em, 1)} = ${fmt(dm / em, 2)}; all threads: daemon ${fmt(dt, 1)} / echo ${fmt(et, 1)} = ${fmt(dt / et, 2)}`);
  }
}

console.log(`before: ${machineLoad()}`);
try {
  if (COLD_START_ONLY) {
    await coldStartsOnly();
  } else {
    const echo = startChild(['-e', ECHO_SERVER, echoSocket]);
    pids.set('echo', echo.pid);
    pids.set('durable', startChild(['-e', DURABLE_ECHO_SERVER, durableSocket, join(dir, 'durable.log')]).pid);
    pids.set('dsync', startChild(['-e', DSYNC_ECHO_SERVER, dsyncSocket, join(dir, 'dsync.log')]).pid);
    let daemon = startDaemon();
    pids.set('daemon', daemon.pid);
    await Promise.all([echoSocket, durableSocket, dsyncSocket, daemonSocket].map(waitForSocket));
    const idleRss = { daemon: rssMiB(daemon.pid), echo: rssMiB(echo.pid) };

    // The bench is only honest if every shape is decided (not refused as malformed).
    console.log('request shapes (one of each, before timing):');
    for (const line of bare) {
      const answer = JSON.parse(await oneShot(daemonSocket, line));
      if (!answer.decision || !answer.rule_id)
        throw new Error(`shape not decided: ${line.trim()} -> ${JSON.stringify(answer)}`);
      const request = JSON.parse(line);
      console.log(
        `  ${request.action_type.padEnd(16)} ${request.target.padEnd(40)} ${answer.decision} (${answer.rule_id})`,
      );
    }
    // Valid signatures must reach the engine and bad ones be refused as such, or the HMAC rows time something else.
    const signedAnswer = JSON.parse(await oneShot(daemonSocket, `${JSON.stringify(nextSigned())}\n`));
    const badAnswer = JSON.parse(await oneShot(daemonSocket, `${JSON.stringify(badlySigned[0])}\n`));
    if (signedAnswer.rule_id === 'runner_auth.invalid' || !signedAnswer.decision)
      throw new Error(`a validly signed request was not decided: ${JSON.stringify(signedAnswer)}`);
    if (badAnswer.rule_id !== 'runner_auth.invalid' || !String(badAnswer.reason).includes('bad_signature'))
      throw new Error(`a bad signature was not refused as one: ${JSON.stringify(badAnswer)}`);
    console.log(`  HMAC-signed read_file -> ${signedAnswer.decision} (${signedAnswer.rule_id})`);
    console.log(`  bad signature -> ${badAnswer.decision} (${badAnswer.rule_id})`);

    const cells = new Map<string, Cell>();
    for (const mode of ['persistent', 'one-shot'] as const) {
      for (const clients of [1, 64]) {
        for (const target of TARGETS)
          await runLoad(target.socket, clients, mode, WARM_UP_SECONDS, (n) => target.line(mode, n));
        for (let round = 0; round < ROUNDS; round++) {
          for (let i = 0; i < TARGETS.length; i++) {
            const target = TARGETS[(i + round) % TARGETS.length] as Target; // rotate who goes first
            const key = `${mode}/${clients}/${target.label}`;
            const before = cpuMicroseconds(target.pid());
            const result = await runLoad(target.socket, clients, mode, SECONDS, (n) => target.line(mode, n));
            const after = cpuMicroseconds(target.pid());
            const requests = result.perSecond * SECONDS;
            const cpuPerRequest =
              before === undefined || after === undefined
                ? undefined
                : {
                    user: (after.user - before.user) / requests,
                    system: (after.system - before.system) / requests,
                  };
            cells.set(key, { runs: [...(cells.get(key)?.runs ?? []), { ...result, cpuPerRequest }] });
          }
        }
      }
    }

    console.log(
      `\nthroughput: median of ${ROUNDS} interleaved ${SECONDS}s rounds after a ${WARM_UP_SECONDS}s warm-up`,
    );
    console.log(
      `${'scenario'.padEnd(48)}${'per s'.padStart(9)}${'spread'.padStart(16)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'/durable'.padStart(10)}${'/echo'.padStart(7)}${'cpu µs/req user+sys'.padStart(22)}`,
    );
    const get = (mode: string, clients: number, label: string) =>
      summary(cells.get(`${mode}/${clients}/${label}`) as Cell);
    /** The faster of the two durable servers in this cell: the daemon is held to the better floor. */
    const durableFloor = (mode: string, clients: number) =>
      [get(mode, clients, 'durable echo server'), get(mode, clients, 'durable echo, O_DSYNC')].reduce(
        (a, b) => (b.perSecond > a.perSecond ? b : a),
      );
    for (const mode of ['persistent', 'one-shot']) {
      for (const clients of [1, 64]) {
        const floor = durableFloor(mode, clients);
        const bareFloor = get(mode, clients, 'echo server');
        for (const target of TARGETS) {
          const s = get(mode, clients, target.label);
          console.log(
            `${`${target.label}, ${mode}, ${clients}`.padEnd(48)}${fmt(s.perSecond).padStart(9)}${`${fmt(s.min)}-${fmt(s.max)}`.padStart(16)}${fmt(s.p50, 2).padStart(8)}${fmt(s.p99, 2).padStart(8)}${fmt(s.perSecond / floor.perSecond, 2).padStart(10)}${fmt(s.perSecond / bareFloor.perSecond, 2).padStart(7)}${(s.cpu === undefined ? 'n/a' : `${fmt(s.cpu.user, 1)}+${fmt(s.cpu.system, 1)}`).padStart(22)}`,
          );
        }
      }
    }

    const records = JSON.parse(
      await oneShot(daemonSocket, `${JSON.stringify({ v: 1, id: 'h', type: 'health' })}\n`),
    ).health.evidence.records as number;
    const afterRss = rssMiB(daemon.pid);
    await stopChild(daemon);

    // Cold start: spawn to first answer, interleaved: a daemon with a log of its own (a few records), and one with the
    // log the throughput runs left, whose HMAC signatures are all still within their window and so are read back
    // into the replay cache at start (bounded by the window, not by the log: see the evidence log's checkpoint).
    const starts = {
      daemon: [] as { ms: number; cpuMs: number; peakMiB: number }[],
      fresh: [] as { ms: number; cpuMs: number; peakMiB: number }[],
      echo: [] as { ms: number; cpuMs: number; peakMiB: number }[],
    };
    for (let i = 0; i < STARTS; i++) {
      const coldSocket = `${echoSocket}.cold${i}`;
      starts.echo.push(
        await coldStart(() => startChild(['-e', ECHO_SERVER, coldSocket]), coldSocket, firstLine),
      );
      starts.fresh.push(await coldStart(() => startDaemon(freshConfigPath), freshSocket, firstLine));
      starts.daemon.push(await coldStart(startDaemon, daemonSocket, firstLine));
    }

    let millionLine = '';
    const decisions = Number(process.env.BENCH_DECISIONS ?? 0);
    if (decisions > 0) {
      daemon = startDaemon();
      await waitForSocket(daemonSocket);
      let sent = 0;
      while (sent < decisions) {
        const r = await runLoad(daemonSocket, 64, 'persistent', 5, (n) =>
          enveloped(n, SHAPES[n % SHAPES.length]),
        );
        sent += r.perSecond * 5;
      }
      millionLine = `  daemon RSS after ${Math.round(sent)} more decisions: ${fmt(rssMiB(daemon.pid), 1)} MiB\n`;
      await stopChild(daemon);
    }

    const p = (mode: string, clients: number, label: string) => get(mode, clients, label);
    const cpuLine = (clients: number) => {
      const daemonCpu = p('persistent', clients, 'daemon, no auth').cpu;
      const floorCpu = durableFloor('persistent', clients).cpu;
      return daemonCpu === undefined || floorCpu === undefined
        ? 'n/a (no /proc)'
        : `${fmt(daemonCpu.user, 1)} user + ${fmt(daemonCpu.system, 1)} sys µs (durable floor ${fmt(floorCpu.user, 1)} + ${fmt(floorCpu.system, 1)} µs per line)`;
    };
    const ratio = (a: number, b: number) => fmt(a / b, 2);
    const coldDaemon = median(starts.daemon.map((start) => start.ms));
    const coldFresh = median(starts.fresh.map((start) => start.ms));
    const coldEcho = median(starts.echo.map((start) => start.ms));
    const coldPeak = median(starts.daemon.map((start) => start.peakMiB));
    const [coldFreshCpu, coldEchoCpu] = [starts.fresh, starts.echo].map((runs) =>
      median(runs.map((start) => start.cpuMs)),
    ) as [number, number];
    console.log(`
targets (issue 13), all ratios from this run:
  persistent, 1 client:   daemon / durable floor = ${ratio(p('persistent', 1, 'daemon, no auth').perSecond, durableFloor('persistent', 1).perSecond)} (target >= 0.80)
  persistent, 64 clients: daemon / durable floor = ${ratio(p('persistent', 64, 'daemon, no auth').perSecond, durableFloor('persistent', 64).perSecond)} (target >= 0.60); p99 daemon / floor = ${ratio(p('persistent', 64, 'daemon, no auth').p99, durableFloor('persistent', 64).p99)} (target <= 1.50)
  CPU per decision (daemon, no auth, persistent): ${cpuLine(1)} at 1 client, ${cpuLine(64)} at 64 clients
  HMAC cost, 64 clients:  ${fmt((1 - p('persistent', 64, 'daemon, HMAC').perSecond / p('persistent', 64, 'daemon, no auth').perSecond) * 100, 1)}% (target <= 15%)
  bad-signature flood:    cost per request / valid HMAC = ${ratio(p('persistent', 64, 'daemon, HMAC').perSecond, p('persistent', 64, 'daemon, bad signatures').perSecond)} (target <= 1.00)
  cold start to first decision: daemon ${fmt(coldFresh)} ms / echo ${fmt(coldEcho)} ms = ${ratio(coldFresh, coldEcho)} (target <= 2.00), with a log of its own (CPU time by then: ${fmt(coldFreshCpu)} / ${fmt(coldEchoCpu)} ms = ${ratio(coldFreshCpu, coldEchoCpu)});
    with the bench's log (${records} records, ${signedNext} HMAC signatures still live, restored into the replay cache): ${fmt(coldDaemon)} ms = ${ratio(coldDaemon, coldEcho)}, peak RSS ${fmt(coldPeak, 1)} MiB
memory:
  idle RSS: daemon ${fmt(idleRss.daemon, 1)} MiB, echo server ${fmt(idleRss.echo, 1)} MiB (${ratio(idleRss.daemon, idleRss.echo)}x)
  daemon RSS after the throughput runs (${records} decisions): ${fmt(afterRss, 1)} MiB
${millionLine}evidence records are durable before each answer (group commit, written O_DSYNC); /durable is the faster of
the two durable floors in each cell (fdatasync after each write, or O_DSYNC writes).`);
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  console.log(`after: ${machineLoad()}`);
}
