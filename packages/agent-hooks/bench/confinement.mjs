// What confinement adds per command, next to the bare command (bash -c '<command>' in a tiny project):
// - srt per command: the command as the hook rewrites it (node + srt CLI + bubblewrap, settings on descriptor 3);
// - warm library: the same library (SandboxManager) initialised once in a process that stays up, wrapping each
//   command (wrapWithSandbox) and running the bubblewrap line it returns: the cost without srt's start-up;
// - warm runner: what the hook's answer runs with --warm (cavra-sandbox run: a Node client relaying to the runner);
// - the hook's own cost with --confine and --confine --warm against without.
// Runs interleaved so that load on the machine falls on all alike. Never part of the tests.
//   node bench/confinement.mjs [runs] [command]      (default 30 'true'; build first)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxManager } from '@anthropic-ai/sandbox-runtime';
import { warmRunnerCommand } from '../dist/warm-runner.js';

const runs = Number(process.argv[2] ?? 30);
const command = process.argv[3] ?? 'true';
const hook = fileURLToPath(new URL('../dist/bin/cavra-hook.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'cavra-confine-bench-'));
const project = join(root, 'project');
mkdirSync(join(project, 'src'), { recursive: true });
mkdirSync(join(project, '.git', 'hooks'), { recursive: true });
writeFileSync(join(project, '.env'), 'API_TOKEN=secret\n');
writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({ name: 'tiny', version: '1.0.0', private: true, scripts: { test: 'node -e 0' } }),
);
const pack = join(root, 'pack.yaml');
writeFileSync(
  pack,
  'metadata:\n  id: bench\n  version: 1.0.0\n  inherits: cavra-ai-agent-baseline\nsandbox:\n  confine_commands: true\n',
);
const payload = JSON.stringify({
  session_id: 'bench',
  cwd: project,
  hook_event_name: 'PreToolUse',
  tool_name: 'Bash',
  tool_input: { command },
});

function timed(file, args, input = '') {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { cwd: project, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    // A command that reads no input may exit before it is written.
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${file} ${args.join(' ').slice(0, 200)} exited ${code}: ${stderr}`));
      else resolve({ ms, stdout });
    });
    child.stdin.end(input);
  });
}

const hookArgs = ['claude-code', '--engine', 'in-process', '--pack', pack];
const answer = JSON.parse(
  (await timed(process.execPath, [hook, ...hookArgs, '--confine', pack], payload)).stdout,
);
const wrapped = answer.hookSpecificOutput.updatedInput?.command;
if (!wrapped) throw new Error(`the hook did not confine: ${JSON.stringify(answer)}`);
const settings = JSON.parse(wrapped.split("3<<'CAVRA_SANDBOX_SETTINGS'\n")[1].split('\n')[0]);

const samples = {
  bare: [],
  srt: [],
  warmWrap: [],
  warm: [],
  runner: [],
  hook: [],
  hookConfined: [],
  hookWarm: [],
};
// The runner started outside the sandbox library's use in this process (its own process), exits when idle.
process.env.CAVRA_SANDBOX_RUNNER_IDLE_MS = '5000';
process.env.XDG_RUNTIME_DIR = root;
process.chdir(project);
await SandboxManager.initialize(settings);
try {
  for (let i = 0; i < runs; i++) {
    samples.bare.push((await timed('bash', ['-c', command])).ms);
    samples.srt.push((await timed('bash', ['-c', wrapped])).ms);
    const start = process.hrtime.bigint();
    const line = await SandboxManager.wrapWithSandbox(command);
    samples.warmWrap.push(Number(process.hrtime.bigint() - start) / 1e6);
    await timed('bash', ['-c', line]);
    samples.warm.push(Number(process.hrtime.bigint() - start) / 1e6);
    SandboxManager.cleanupAfterCommand();
    const viaRunner = await warmRunnerCommand(command, settings, async () => {});
    samples.runner.push((await timed('bash', ['-c', viaRunner])).ms);
    samples.hook.push((await timed(process.execPath, [hook, ...hookArgs], payload)).ms);
    samples.hookConfined.push(
      (await timed(process.execPath, [hook, ...hookArgs, '--confine', pack], payload)).ms,
    );
    samples.hookWarm.push(
      (await timed(process.execPath, [hook, ...hookArgs, '--confine', pack, '--warm'], payload)).ms,
    );
  }
} finally {
  await SandboxManager.reset();
  rmSync(root, { recursive: true, force: true });
}

const quantile = (values, q) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)];
const median = (values) => quantile(values, 0.5);
const p95 = (values) => quantile(values, 0.95);
const row = (name, values, base) =>
  `${name.padEnd(44)} median ${median(values).toFixed(1).padStart(7)} ms   p95 ${p95(values).toFixed(1).padStart(7)} ms` +
  (base
    ? `   ${(median(values) / median(base)).toFixed(2)}x / ${(p95(values) / p95(base)).toFixed(2)}x, +${(median(values) - median(base)).toFixed(0)} ms median`
    : '');
console.log(`${runs} runs, node ${process.version}, command: ${command}`);
console.log(row(`bare: bash -c '${command}'`, samples.bare));
console.log(row('confined, srt per command (what the hook runs)', samples.srt, samples.bare));
console.log(row('confined, warm library (wrap + run)', samples.warm, samples.bare));
console.log(row('  of which wrapWithSandbox', samples.warmWrap));
console.log(row('confined, warm runner (what --warm runs)', samples.runner, samples.bare));
console.log(row('cavra-hook claude-code (Bash)', samples.hook));
console.log(row('cavra-hook claude-code --confine (Bash)', samples.hookConfined, samples.hook));
console.log(row('cavra-hook claude-code --confine --warm (Bash)', samples.hookWarm, samples.hook));
