// Start-to-answer time of `cavra-hook claude-code` (a `Read` tool call) against a running daemon, next to a bare
// `node -e ''` start: the agent starts the hook once per tool call, so this is the latency a user sees; then the
// start-up alone (a pass-through tool) and the PostToolUse hook Claude Code runs after every call (nothing asked: no
// daemon call). Runs interleaved (bare, hook, bare, hook, ...) so that load on the machine falls on both alike.
//   node bench/hook-startup.mjs [runs]      (default 100; build first: npx turbo run build --filter=@cavra/agent-hooks...)
// BENCH_BEFORE=<another build's cavra-hook.cjs>: that build too, interleaved with this one (same daemon, same moments).
// The hook's code cache goes to $XDG_CACHE_HOME/cavra-hook (made by the first run). The load average is printed
// before and after: on a loaded machine only the ratios to the bare start of the same run mean anything.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

function timed(args, input, env) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'inherit'],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code, stdout }));
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

const builds = [{ name: '', bin: hook, hooked: [], started: [], after: [] }];
if (process.env.BENCH_BEFORE)
  builds.push({ name: 'before: ', bin: process.env.BENCH_BEFORE, hooked: [], started: [], after: [] });
const bare = [];
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const loadBefore = load();
try {
  for (let i = 0; i < runs; i++) {
    bare.push((await timed(['-e', ''], '')).ms);
    for (const build of builds) {
      const result = await timed([build.bin, 'claude-code', '--socket', socketPath], payload);
      if (result.code !== 0 || !result.stdout.includes('"permissionDecision":')) {
        throw new Error(`the hook gave no decision (exit ${result.code}): ${result.stdout}`);
      }
      build.hooked.push(result.ms);
      build.started.push((await timed([build.bin, 'claude-code', '--socket', socketPath], passThrough)).ms);
      const post = await timed(
        [build.bin, 'claude-code-post-tool-use', '--socket', socketPath],
        postToolUse,
        {
          CAVRA_HOOK_STATE_DIR: stateDir,
        },
      );
      if (post.code !== 0) throw new Error(`the PostToolUse hook failed (exit ${post.code})`);
      build.after.push(post.ms);
    }
  }
} finally {
  await daemon.close();
  rmSync(dir, { recursive: true, force: true });
}

const quantile = (values, q) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)];
const row = (name, values) =>
  `${name.padEnd(40)} median ${quantile(values, 0.5).toFixed(1).padStart(6)} ms   p99 ${quantile(values, 0.99).toFixed(1).padStart(6)} ms`;
console.log(`${runs} runs, node ${process.version}, load average ${loadBefore} before, ${load()} after`);
console.log(row("node -e ''", bare));
const ratio = (values) => (quantile(values, 0.5) / quantile(bare, 0.5)).toFixed(2);
for (const { name, hooked, started, after } of builds) {
  console.log(row(`${name}cavra-hook claude-code (Read)`, hooked));
  console.log(row(`${name}  start-up only (pass-through)`, started));
  console.log(row(`${name}  PostToolUse, nothing asked`, after));
  console.log(
    `${name}ratio: median ${ratio(hooked)}x, p99 ${(quantile(hooked, 0.99) / quantile(bare, 0.99)).toFixed(2)}x; start-up only ${ratio(started)}x; PostToolUse ${ratio(after)}x (target: 1.2x)`,
  );
}
