// Start-to-answer time of `cavra-hook claude-code` (a `Read` tool call) against a running daemon, next to a bare
// `node -e ''` start: the agent starts the hook once per tool call, so this is the latency a user sees; then the
// start-up alone (a pass-through tool) and the PostToolUse hook Claude Code runs after every call (nothing asked: no
// daemon call). Runs interleaved (bare, hook, bare, hook, ...) so that load on the machine falls on both alike.
//   node bench/hook-startup.mjs [runs]      (default 100; build first: npx turbo run build --filter=@cavra/agent-hooks...)
// BENCH_BEFORE=<another build's cavra-hook.cjs>: that build too, interleaved with this one (same daemon, same moments).
// Each build's code cache ($XDG_CACHE_HOME/cavra-hook) starts empty and is first made by `cavra-hook install
// claude-code`, as on a user's machine. Every process runs with a preload that writes its CPU time (user + system,
// all threads) at exit, printed beside the wall-clock time: it moves less with the machine's load. The load average is
// printed before and after: on a loaded machine only the ratios to the bare start of the same run mean anything.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveDaemonConfig, startDaemon } from '@cavra/daemon';

const runs = Number(process.argv[2] ?? 100);
// BENCH_HOOK: another build's cavra-hook.cjs (or cavra-hook.js before 0.2), to compare two versions on the same machine and daemon.
const hook = process.env.BENCH_HOOK ?? fileURLToPath(new URL('../dist/bin/cavra-hook.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cavra-hook-bench-'));
const socketPath = join(dir, 'daemon.sock');
const daemon = await startDaemon(
  resolveDaemonConfig({ socket_path: socketPath, evidence_log: join(dir, 'evidence.jsonl') }),
);
const payload = JSON.stringify({
  session_id: 'bench',
  cwd: '/work/project',
  hook_event_name: 'PreToolUse',
  tool_name: 'Read',
  tool_input: { file_path: '/work/project/src/index.ts' },
});

const CPU_LINE = 'cavra-bench-cpu ';
const cpuPreload = join(dir, 'cpu-at-exit.cjs');
writeFileSync(
  cpuPreload,
  `process.on('exit', () => { const { user, system } = process.cpuUsage(); require('node:fs').writeSync(2, '\\n${CPU_LINE}' + (user + system) + '\\n'); });\n`,
);

/** Wall-clock and CPU time (ms) of one process, with what it wrote (the preload's line taken out of stderr). */
function timed(args, input, env = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-r', cpuPreload, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      // No line when the process died before its exit handlers ran: the caller's check of its answer says so.
      const at = stderr.lastIndexOf(`\n${CPU_LINE}`);
      resolve({
        ms,
        cpu: at < 0 ? Number.NaN : Number(stderr.slice(at + CPU_LINE.length + 1)) / 1000,
        code,
        stdout,
        stderr: at < 0 ? stderr : stderr.slice(0, at),
      });
    });
    child.stdin.end(input);
  });
}

// A pass-through tool: the hook starts, loads and answers without asking the daemon (start-up alone).
const passThrough = JSON.stringify({
  ...JSON.parse(payload),
  tool_name: 'TodoWrite',
  tool_input: { todos: [] },
});

// The PostToolUse hook, which runs after every tool call, for a call nothing was asked about: its state folder holds
// an empty `asked` folder (the hook looks there, and finds nothing to record).
const postToolUse = JSON.stringify({
  ...JSON.parse(payload),
  hook_event_name: 'PostToolUse',
  tool_use_id: 'toolu_bench',
});
const stateDir = join(dir, 'hook-state');
mkdirSync(join(stateDir, 'asked'), { recursive: true, mode: 0o700 });

const measured = (name, bin, index) => ({
  name,
  bin,
  project: join(dir, `project-${index}`),
  env: { XDG_CACHE_HOME: join(dir, `cache-${index}`), CAVRA_HOOK_STATE_DIR: stateDir },
  hooked: [],
  started: [],
  after: [],
});
const builds = [measured('', hook, 0)];
if (process.env.BENCH_BEFORE) builds.push(measured('before: ', process.env.BENCH_BEFORE, 1));
const bare = [];
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const loadBefore = load();
const postArgs = (build) => [build.bin, 'claude-code-post-tool-use', '--socket', socketPath];
try {
  for (const build of builds) {
    const installed = await timed(
      [build.bin, 'install', 'claude-code', '--project', '--dir', build.project],
      '',
      build.env,
    );
    if (installed.code !== 0) throw new Error(`cavra-hook install failed: ${installed.stderr}`);
    // Builds before the PostToolUse hook (added in 30eb6b1) do not know its command: their figure for it is left out.
    const probe = await timed(postArgs(build), postToolUse, build.env);
    if (probe.code !== 0 && !probe.stderr.includes("unknown command 'claude-code-post-tool-use'")) {
      throw new Error(`the PostToolUse hook failed (exit ${probe.code}): ${probe.stderr}`);
    }
    if (probe.code !== 0) build.after = undefined;
  }
  for (let i = 0; i < runs; i++) {
    bare.push(await timed(['-e', ''], ''));
    for (const build of builds) {
      const result = await timed([build.bin, 'claude-code', '--socket', socketPath], payload, build.env);
      if (result.code !== 0 || !result.stdout.includes('"permissionDecision":')) {
        throw new Error(`the hook gave no decision (exit ${result.code}): ${result.stdout}`);
      }
      build.hooked.push(result);
      build.started.push(
        await timed([build.bin, 'claude-code', '--socket', socketPath], passThrough, build.env),
      );
      if (!build.after) continue;
      const post = await timed(postArgs(build), postToolUse, build.env);
      if (post.code !== 0) throw new Error(`the PostToolUse hook failed (exit ${post.code}): ${post.stderr}`);
      build.after.push(post);
    }
  }
} finally {
  await daemon.close();
  rmSync(dir, { recursive: true, force: true });
}

const quantile = (values, q) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)];
const of = (results, key) => results.map((result) => result[key]);
const row = (name, results) =>
  `${name.padEnd(40)} median ${quantile(of(results, 'ms'), 0.5).toFixed(1).padStart(6)} ms   p99 ${quantile(of(results, 'ms'), 0.99).toFixed(1).padStart(6)} ms   CPU median ${quantile(of(results, 'cpu'), 0.5).toFixed(1).padStart(6)} ms`;
console.log(`${runs} runs, node ${process.version}, load average ${loadBefore} before, ${load()} after`);
console.log(row("node -e ''", bare));
const ratio = (results, key = 'ms') =>
  (quantile(of(results, key), 0.5) / quantile(of(bare, key), 0.5)).toFixed(2);
for (const { name, hooked, started, after } of builds) {
  console.log(row(`${name}cavra-hook claude-code (Read)`, hooked));
  console.log(row(`${name}  start-up only (pass-through)`, started));
  if (after) console.log(row(`${name}  PostToolUse, nothing asked`, after));
  console.log(
    `${name}ratio: median ${ratio(hooked)}x, p99 ${(quantile(of(hooked, 'ms'), 0.99) / quantile(of(bare, 'ms'), 0.99)).toFixed(2)}x, CPU ${ratio(hooked, 'cpu')}x; start-up only ${ratio(started)}x (CPU ${ratio(started, 'cpu')}x); PostToolUse ${after ? `${ratio(after)}x (CPU ${ratio(after, 'cpu')}x)` : 'not in this build'} (target: 1.2x)`,
  );
}
