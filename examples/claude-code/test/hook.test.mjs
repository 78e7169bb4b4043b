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
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CLAUDE_PROJECT_DIR: project },
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
let settings;
let hookCommand;
let init;
before(async () => {
  project = await mkdtemp(join(tmpdir(), 'cavra-claude-project-'));
  await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
  for (const [name, bin] of [
    ['@cavra/agent-hooks', 'cavra-hook'],
    ['@cavra/daemon', 'cavra-daemon'],
  ]) {
    const shim = join(project, 'node_modules', '.bin', bin);
    await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${await binOf(name, bin)}" "$@"\n`);
    await chmod(shim, 0o755);
  }
  init = await sh('node_modules/.bin/cavra-hook init claude-code');
  settings = JSON.parse(await readFile(join(project, '.claude', 'settings.json'), 'utf8'));
  hookCommand = settings.hooks.PreToolUse[0].hooks[0].command;
  const started = await sh(settings.hooks.SessionStart[0].hooks[0].command);
  assert.equal(started.code, 0, started.stderr);
});
after(async () => {
  await sh('node_modules/.bin/cavra-daemon stop --config .cavra/cavra-daemon.yaml');
  await rm(project, { recursive: true, force: true });
});

test('init prints how to start the daemon, and writes exactly the files this example holds', async () => {
  assert.equal(init.code, 0);
  assert.match(init.stdout, /\n {2}npx cavra-daemon start --config \.cavra\/cavra-daemon\.yaml\n/);
  for (const file of FILES) {
    assert.equal(
      await readFile(join(project, file), 'utf8'),
      await readFile(join(EXAMPLE, file), 'utf8'),
      `${file} differs from what init writes`,
    );
  }
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
  return sh(hookCommand, payload);
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
  assert.equal(output.permissionDecision, 'ask');
  assert.equal(
    output.permissionDecisionReason,
    "CAVRA require_approval (network.default.require_approval): host 'example.com' is on no network list: review required (approver group: Platform Security)",
  );
});

test('every decision is in the evidence log', async () => {
  const records = (await readFile(join(project, '.cavra', 'evidence.jsonl'), 'utf8')).trim().split('\n');
  assert.ok(records.every((line) => JSON.parse(line).decision.policy_pack === 'team'));
  const targets = records.map((line) => JSON.parse(line).decision.target);
  assert.ok(targets.includes(p('.env.production')));
  assert.ok(targets.includes('release/2.0'));
});

test('init --remove takes the hooks out again; the settings file init created is gone', async () => {
  const removed = await sh('node_modules/.bin/cavra-hook init claude-code --remove');
  assert.equal(removed.code, 0);
  await assert.rejects(readFile(join(project, '.claude', 'settings.json')), { code: 'ENOENT' });
});
