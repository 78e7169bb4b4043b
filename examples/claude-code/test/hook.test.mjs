import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
/** A package's bin, resolved from this example's dependencies. */
async function binOf(name, bin) {
  const dir = dirname(require.resolve(`${name}/package.json`));
  return join(dir, JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).bin[bin]);
}

/** Runs a command line through `sh -c` in the project, as a user's shell and Claude Code do. */
function sh(command, input = '') {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd: project,
      // The hook keeps the calls it asked about in $XDG_STATE_HOME/cavra-hook: here, not in the user's home.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        XDG_STATE_HOME: state,
        CLAUDE_PROJECT_DIR: project,
      },
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
    child.stdin.end(input);
  });
}

// An empty project with the packages installed (their bins where npm puts them), set up with the README's
// commands: `cavra-hook init claude-code`, then the daemon started (here by the SessionStart hook init wrote).
const FILES = [
  '.claude/settings.json',
  '.cavra/cavra-daemon.yaml',
  '.cavra/team-pack.yaml',
  '.cavra/.gitignore',
];
let project;
let state;
let settings;
let hookCommand;
let postToolUseCommand;
let init;
/** The files as init wrote them, before the approver below is added to the daemon config. */
const written = {};
before(async () => {
  project = await mkdtemp(join(tmpdir(), 'cavra-claude-project-'));
  state = await mkdtemp(join(tmpdir(), 'cavra-claude-state-'));
  await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
  for (const [name, bin] of [
    ['@cavra/agent-hooks', 'cavra-hook'],
    ['@cavra/daemon', 'cavra-daemon'],
    ['@cavra/cli', 'cavra'],
  ]) {
    const shim = join(project, 'node_modules', '.bin', bin);
    await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${await binOf(name, bin)}" "$@"\n`);
    await chmod(shim, 0o755);
  }
  init = await sh('node_modules/.bin/cavra-hook init claude-code');
  for (const file of FILES) written[file] = await readFile(join(project, file), 'utf8');
  settings = JSON.parse(written['.claude/settings.json']);
  hookCommand = settings.hooks.PreToolUse[0].hooks[0].command;
  postToolUseCommand = settings.hooks.PostToolUse[0].hooks[0].command;
  // Approvals on, as the config's comment says: Alice, of Repository Owners, makes her approver key and is listed.
  const keygen = await sh(
    'node_modules/.bin/cavra approval keygen --out .cavra/alice.pem --as alice@example.com',
  );
  assert.equal(keygen.code, 0, keygen.stderr);
  await writeFile(
    join(project, '.cavra', 'cavra-daemon.yaml'),
    `${written['.cavra/cavra-daemon.yaml']}approvals:
  self_approval_at_keyboard: true
  groups:
    Repository Owners:
      approvers:
        - { id: alice@example.com, public_key: alice.pem.pub.pem }
`,
  );
  const started = await sh(settings.hooks.SessionStart[0].hooks[0].command);
  assert.equal(started.code, 0, started.stderr);
});
after(async () => {
  await sh('node_modules/.bin/cavra-daemon stop --config .cavra/cavra-daemon.yaml');
  await rm(project, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
});

test('init prints how to start the daemon, and writes exactly the files this example holds', async () => {
  assert.equal(init.code, 0);
  assert.match(init.stdout, /\n {2}npx cavra-daemon start --config \.cavra\/cavra-daemon\.yaml\n/);
  for (const file of FILES) {
    assert.equal(
      written[file],
      await readFile(join(EXAMPLE, file), 'utf8'),
      `${file} differs from what init writes`,
    );
  }
});

/** Claude Code's payload of one tool call for `event`. */
function payload(event, toolName, toolInput, toolUseId) {
  return JSON.stringify({
    session_id: 'example-session',
    transcript_path: join(project, 'transcript.jsonl'),
    cwd: project,
    hook_event_name: event,
    tool_name: toolName,
    tool_input: toolInput,
    tool_use_id: toolUseId,
    ...(event === 'PostToolUse' ? { tool_response: { stdout: '', stderr: '', interrupted: false } } : {}),
  });
}

/** Runs the settings' PreToolUse command through a shell, as Claude Code does, with one call. */
function runHook(toolName, toolInput, toolUseId = 'toolu_1') {
  return sh(hookCommand, payload('PreToolUse', toolName, toolInput, toolUseId));
}

/** Runs the settings' PostToolUse command: Claude Code ran the call. */
function ran(toolName, toolInput, toolUseId) {
  return sh(postToolUseCommand, payload('PostToolUse', toolName, toolInput, toolUseId));
}

/** The evidence log's records. */
async function evidence() {
  return (await readFile(join(project, '.cavra', 'evidence.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

/** The id of the daemon's last decision: the approval request a require_approval made. */
async function lastDecisionId() {
  return (await evidence()).filter((record) => record.decision).at(-1).decision.decision_id;
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
  // /work/app is not the project (the payload's cwd): a search of a directory outside it needs approval.
  ['Grep', { pattern: 'password', path: p('config') }, 'ask', 'runtime.default.require_approval'],
  ['Grep', { pattern: 'password', glob: '**/.env*' }, 'deny', 'filesystem.read.block'],
  ['LS', { path: 'src' }, 'allow', 'filesystem.read.allow'],
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

test('a tool that cannot act on the world is left to Claude Code', async () => {
  assert.deepEqual(await runHook('TodoWrite', { todos: [] }), { code: 0, stdout: '', stderr: '' });
  assert.deepEqual(await runHook('AskUserQuestion', { questions: [] }), { code: 0, stdout: '', stderr: '' });
});

test('a web fetch is a network_request: a documentation host the profile lists runs, any other host is asked', async () => {
  const docs = await runHook('WebFetch', {
    url: 'https://docs.npmjs.com/cli/v11/commands/npm-test',
    prompt: 'x',
  });
  assert.equal(JSON.parse(docs.stdout).hookSpecificOutput.permissionDecision, 'allow');
  const result = await runHook('WebFetch', { url: 'https://example.com', prompt: 'x' });
  assert.equal(result.code, 0);
  const output = JSON.parse(result.stdout).hookSpecificOutput;
  const id = await lastDecisionId();
  assert.equal(output.permissionDecision, 'ask');
  assert.equal(
    output.permissionDecisionReason,
    `CAVRA require_approval (network.default.require_approval): host 'example.com' is on no network list: review required (approval request ${id}: cavra approval approve ${id}) (approver group: Platform Security)`,
  );
});

test('the local approval flow: the hook asks naming the request, the person says yes, PostToolUse records it ran', async () => {
  const call = { command: 'kubectl get pods -n web' };
  const asked = await runHook('Bash', call, 'toolu_kubectl');
  const id = await lastDecisionId();
  assert.deepEqual(JSON.parse(asked.stdout).hookSpecificOutput, {
    hookEventName: 'PreToolUse',
    permissionDecision: 'ask',
    permissionDecisionReason: `CAVRA require_approval (commands.default.require_approval): command 'kubectl get pods -n web' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approval request ${id}: cavra approval approve ${id}) (approver group: Repository Owners)`,
  });
  // The person answers Claude Code's prompt with yes; the call runs; Claude Code runs the PostToolUse hook.
  assert.deepEqual(await ran('Bash', call, 'toolu_kubectl'), { code: 0, stdout: '', stderr: '' });
  assert.deepEqual((await evidence()).at(-1).event, {
    type: 'asked_action_ran',
    decision_id: id,
    ran: true,
    tool: 'Bash',
  });
  // A call that was not asked (allowed): PostToolUse does nothing.
  const allowed = await runHook('Bash', { command: 'npm test' }, 'toolu_npm');
  assert.equal(JSON.parse(allowed.stdout).hookSpecificOutput.permissionDecision, 'allow');
  const before = (await evidence()).length;
  assert.deepEqual(await ran('Bash', { command: 'npm test' }, 'toolu_npm'), {
    code: 0,
    stdout: '',
    stderr: '',
  });
  assert.equal((await evidence()).length, before);
});

test('the CLI approval path: a pending request approved by a person of its group, and the retry passes', async () => {
  const call = { command: 'kubectl rollout status deploy/web' };
  const asked = await runHook('Bash', call, 'toolu_rollout');
  assert.equal(JSON.parse(asked.stdout).hookSpecificOutput.permissionDecision, 'ask');
  const id = await lastDecisionId();
  const listed = await sh(
    'node_modules/.bin/cavra approval list --status pending --socket .cavra/daemon.sock --json',
  );
  assert.ok(JSON.parse(listed.stdout).approvals.some((approval) => approval.request.request_id === id));
  // Instead of answering the prompt, Alice approves it from her shell.
  const approved = await sh(
    `node_modules/.bin/cavra approval approve ${id} --key .cavra/alice.pem --as alice@example.com --socket .cavra/daemon.sock`,
  );
  assert.equal(approved.code, 0, approved.stderr);
  const retry = await runHook('Bash', call, 'toolu_rollout_2');
  assert.deepEqual(JSON.parse(retry.stdout).hookSpecificOutput, {
    hookEventName: 'PreToolUse',
    permissionDecision: 'allow',
    permissionDecisionReason: `CAVRA allow (approval.granted): approved by alice@example.com (approval request ${id}, scope once)`,
  });
});

test('every decision is in the evidence log', async () => {
  const decisions = (await evidence()).filter((record) => record.decision);
  assert.ok(decisions.every((record) => record.decision.policy_pack === 'team'));
  const targets = decisions.map((record) => record.decision.target);
  assert.ok(targets.includes(p('.env.production')));
  assert.ok(targets.includes('release/2.0'));
});

test('init --remove takes the hooks out again; the settings file init created is gone', async () => {
  const removed = await sh('node_modules/.bin/cavra-hook init claude-code --remove');
  assert.equal(removed.code, 0);
  await assert.rejects(readFile(join(project, '.claude', 'settings.json')), { code: 'ENOENT' });
});
