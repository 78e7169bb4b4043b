#!/usr/bin/env node
// Drives the real `cavra-hook` through a recorded Claude Code session: a project set up with
// `cavra-hook init claude-code`, its daemon started from the config init wrote, and every call's PreToolUse payload
// run through the hook command from .claude/settings.json with `sh -c`, as Claude Code runs it.
// Packs: `team`, the starter pack exactly as init wrote it (it extends cavra-developer); `developer` and `baseline`,
// the shipped profiles named in the daemon config instead (`policy_packs` and `default_pack`).
// Run after a build: node test/session/drive-session.mjs [team|developer|baseline]  (prints the tallies)
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDaemonConfig, startDaemon } from '@cavra/daemon';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE = join(HERE, '..', '..');
const HOOK_BIN = join(PACKAGE, 'dist', 'bin', 'cavra-hook.cjs');
const DAEMON_BIN = join(PACKAGE, 'node_modules', '@cavra', 'daemon', 'dist', 'cli.js');
export const SESSION_FILE = join(HERE, 'claude-code-session.json');
/** Each profile's pack id in the daemon config; `team` keeps the config init wrote. */
const SHIPPED = { developer: 'cavra-developer', baseline: 'cavra-ai-agent-baseline' };
export const PROFILES = ['team', 'developer', 'baseline'];

/** Runs `command` with `sh -c` in `cwd`, `input` on stdin. */
function sh(command, input, env) {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A project as `cavra-hook init claude-code` leaves it, on the session's branch, with the bins where npm puts them. */
async function setUpProject(session, profile) {
  const project = await mkdtemp(join(tmpdir(), 'cavra-session-'));
  const git = (...args) => execFileSync('git', args, { cwd: project, stdio: 'pipe' });
  await mkdir(join(project, 'src'));
  await writeFile(join(project, 'package.json'), '{ "name": "app", "dependencies": {} }\n');
  await writeFile(join(project, 'src', 'config.ts'), 'export function parseConfig(text: string) {}\n');
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('-c', 'user.name=dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'initial');
  git('init', '-q', '--bare', join(project, '.git', 'origin.git'));
  git('remote', 'add', 'origin', join(project, '.git', 'origin.git'));
  git('checkout', '-q', '-b', session.branch);
  git('push', '-q', '-u', 'origin', session.branch);
  const bin = join(project, 'node_modules', '.bin');
  await mkdir(bin, { recursive: true });
  for (const [name, target] of [
    ['cavra-hook', HOOK_BIN],
    ['cavra-daemon', DAEMON_BIN],
  ]) {
    await writeFile(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${target}" "$@"\n`);
    await chmod(join(bin, name), 0o755);
  }
  const init = execFileSync(process.execPath, [HOOK_BIN, 'init', 'claude-code', '--dir', project], {
    encoding: 'utf8',
  });
  const shipped = SHIPPED[profile];
  if (shipped !== undefined) {
    const config = join(project, '.cavra', 'cavra-daemon.yaml');
    const text = (await readFile(config, 'utf8'))
      .replace(/^policy_packs: .*$/m, `policy_packs: [${shipped}]`)
      .replace(/^default_pack: .*$/m, `default_pack: ${shipped}`);
    await writeFile(config, text);
  }
  return { project, init };
}

/**
 * Drives the session under a profile; resolves with each call's outcome (`allow` silent, `ask`, `deny`,
 * `no opinion`, or `no decision` when the hook exited 2) and the tallies.
 */
export async function driveSession(profile = 'team') {
  if (!PROFILES.includes(profile)) throw new Error(`profile must be one of ${PROFILES.join(', ')}`);
  const session = JSON.parse(await readFile(SESSION_FILE, 'utf8'));
  const { project } = await setUpProject(session, profile);
  const settings = JSON.parse(await readFile(join(project, '.claude', 'settings.json'), 'utf8'));
  const hookCommand = settings.hooks.PreToolUse.at(-1).hooks[0].command;
  const daemon = await startDaemon(await loadDaemonConfig(join(project, '.cavra', 'cavra-daemon.yaml')));
  // The hook keeps the calls it answered `ask` in its state folder: a folder of the run's, not the user's home.
  const state = await mkdtemp(join(tmpdir(), 'cavra-session-state-'));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CLAUDE_PROJECT_DIR: project,
    CAVRA_HOOK_STATE_DIR: state,
  };
  const calls = [];
  try {
    for (const [index, call] of session.calls.entries()) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the session file's placeholder for the project
      const input = JSON.parse(JSON.stringify(call.tool_input).replaceAll('${PROJECT}', project));
      const payload = JSON.stringify({
        session_id: `session-${profile}`,
        transcript_path: join(project, 'transcript.jsonl'),
        cwd: project,
        permission_mode: 'default',
        hook_event_name: 'PreToolUse',
        tool_name: call.tool_name,
        tool_input: input,
        tool_use_id: `toolu_${index}`,
      });
      const result = await sh(hookCommand, payload, env);
      const output = result.stdout ? JSON.parse(result.stdout).hookSpecificOutput : undefined;
      const outcome = result.code === 2 ? 'no decision' : output ? output.permissionDecision : 'no opinion';
      calls.push({
        tool: call.tool_name,
        note: call.note,
        benign: call.benign,
        outcome,
        reason: output?.permissionDecisionReason ?? result.stderr.trim(),
      });
    }
  } finally {
    await daemon.close();
    await rm(project, { recursive: true, force: true });
    await rm(state, { recursive: true, force: true });
  }
  const tally = { allow: 0, ask: 0, deny: 0, 'no opinion': 0, 'no decision': 0 };
  for (const call of calls) tally[call.outcome] = (tally[call.outcome] ?? 0) + 1;
  // Silent: CAVRA lets the call run without a prompt (an allow, or no opinion on a pass-through tool).
  const benign = calls.filter((call) => call.benign);
  const silent = benign.filter((call) => call.outcome === 'allow' || call.outcome === 'no opinion');
  return { profile, calls, tally, benign: { total: benign.length, silent: silent.length } };
}

/** `a of b (p %)`, p to one decimal. */
export function share({ silent, total }) {
  return `${silent} of ${total} (${((silent / total) * 100).toFixed(1)} %)`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const profile of process.argv.length > 2 ? process.argv.slice(2) : PROFILES) {
    const { calls, tally, benign } = await driveSession(profile);
    console.log(`\n${profile}: ${calls.length} calls`);
    for (const call of calls)
      console.log(
        `  ${call.outcome.padEnd(11)} ${call.benign ? 'benign' : 'attack'} ${call.tool.padEnd(18)} ${call.reason}`,
      );
    console.log(
      `${profile}: silent (allow) ${tally.allow}, ask ${tally.ask}, deny ${tally.deny}, no opinion ${tally['no opinion']}, no decision ${tally['no decision']}; benign calls silent: ${share(benign)}`,
    );
  }
}
