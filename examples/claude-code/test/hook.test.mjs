import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadDaemonConfig, startDaemon } from '@cavra/daemon';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const hooksPackage = dirname(require.resolve('@cavra/agent-hooks/package.json'));
const HOOK_BIN = join(
  hooksPackage,
  JSON.parse(await readFile(join(hooksPackage, 'package.json'), 'utf8')).bin['cavra-hook'],
);

// A copy of this example as a project: its settings and daemon config, and the hook where an install puts it.
let project;
let daemon;
let hookCommand;
before(async () => {
  project = await mkdtemp(join(tmpdir(), 'cavra-claude-project-'));
  await mkdir(join(project, '.claude'));
  await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
  await copyFile(join(EXAMPLE, '.claude', 'settings.json'), join(project, '.claude', 'settings.json'));
  await copyFile(join(EXAMPLE, 'cavra-daemon.yaml'), join(project, 'cavra-daemon.yaml'));
  const bin = join(project, 'node_modules', '.bin', 'cavra-hook');
  await writeFile(bin, `#!/bin/sh\nexec "${process.execPath}" "${HOOK_BIN}" "$@"\n`);
  await chmod(bin, 0o755);
  const settings = JSON.parse(await readFile(join(project, '.claude', 'settings.json'), 'utf8'));
  hookCommand = settings.hooks.PreToolUse[0].hooks[0].command;
  daemon = await startDaemon(await loadDaemonConfig(join(project, 'cavra-daemon.yaml')));
});
after(async () => {
  await daemon?.close();
  await rm(project, { recursive: true, force: true });
});

/** Runs the settings' hook command through a shell, as Claude Code does, with one PreToolUse payload. */
function runHook(toolName, toolInput) {
  const payload = JSON.stringify({
    session_id: 'example-session',
    transcript_path: join(project, 'transcript.jsonl'),
    cwd: project,
    hook_event_name: 'PreToolUse',
    tool_name: toolName,
    tool_input: toolInput,
    tool_use_id: 'toolu_1',
  });
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', hookCommand], {
      cwd: project,
      env: { PATH: process.env.PATH, CLAUDE_PROJECT_DIR: project },
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
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(payload);
  });
}

const p = (name) => join('/work/app', name);

// Every tool the hook maps, with the baseline pack's answer: [tool, input, permission, rule id].
const CASES = [
  ['Bash', { command: 'npm test' }, 'allow', 'commands.allow'],
  ['Bash', { command: 'sudo apt-get install jq' }, 'deny', 'commands.block'],
  ['Bash', { command: 'kubectl get pods' }, 'ask', 'commands.default.require_approval'],
  [
    'Bash',
    { command: 'npm test && git push origin release/2.0' },
    'deny',
    'git.protected_branch.block_direct_push',
  ],
  ['Read', { file_path: p('.env.production') }, 'deny', 'filesystem.read.block'],
  ['Read', { file_path: p('src/app.ts') }, 'allow', 'filesystem.read.allow'],
  ['Grep', { pattern: 'password', path: p('config') }, 'allow', 'filesystem.read.allow'],
  ['Glob', { pattern: '**/*.pem', path: p('certs/server.pem') }, 'deny', 'filesystem.read.block'],
  [
    'Write',
    { file_path: p('Dockerfile'), content: 'FROM node:22' },
    'ask',
    'filesystem.write.require_approval',
  ],
  [
    'Edit',
    { file_path: p('src/app.ts'), old_string: 'a', new_string: 'b' },
    'allow',
    'filesystem.write.allow',
  ],
  ['MultiEdit', { file_path: p('.git/config'), edits: [] }, 'deny', 'filesystem.write.block'],
  [
    'NotebookEdit',
    { notebook_path: p('analysis.ipynb'), new_source: 'x' },
    'allow',
    'filesystem.write.allow',
  ],
  ['mcp__docs__search', { query: 'x' }, 'deny', 'mcp.server.trust.block_unknown'],
  ['mcp__shell__exec', { command: 'id' }, 'deny', 'mcp.server.trust.block_unknown'],
];

for (const [tool, input, permission, ruleId] of CASES) {
  test(`${tool} ${JSON.stringify(input)} → ${permission} (${ruleId})`, async () => {
    const result = await runHook(tool, input);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    const output = JSON.parse(result.stdout).hookSpecificOutput;
    assert.equal(output.hookEventName, 'PreToolUse');
    assert.equal(output.permissionDecision, permission);
    assert.match(
      output.permissionDecisionReason,
      new RegExp(`^CAVRA \\w+ \\(${ruleId.replace(/[[\].]/g, '\\$&')}\\): `),
    );
  });
}

test('a tool with no effect outside the session is left to Claude Code', async () => {
  assert.deepEqual(await runHook('TodoWrite', { todos: [] }), { code: 0, stdout: '', stderr: '' });
});

test('a tool CAVRA has no mapping for is sent as agent_tool_call, recorded, and denied', async () => {
  const result = await runHook('WebFetch', { url: 'https://example.com' });
  assert.equal(result.code, 0);
  const output = JSON.parse(result.stdout).hookSpecificOutput;
  assert.equal(output.permissionDecision, 'deny');
  assert.match(
    output.permissionDecisionReason,
    /^CAVRA: tool "WebFetch" has no CAVRA mapping, denied \(CAVRA require_approval \(runtime\.default\.require_approval\): /,
  );
});

test('every decision is in the evidence log', async () => {
  const records = (await readFile(join(project, '.cavra', 'evidence.jsonl'), 'utf8')).trim().split('\n');
  const targets = records.map((line) => JSON.parse(line).decision.target);
  assert.ok(targets.includes(p('.env.production')));
  assert.ok(targets.includes('release/2.0'));
});
