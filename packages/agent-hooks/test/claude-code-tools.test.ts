import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_CODE_PASS_THROUGH } from '../src/index.js';
import { claudePayload, runHookProcess, startTestDaemon, type TestDaemon } from './support/test-daemon.js';

let daemon: TestDaemon;
let repo: string;
beforeAll(async () => {
  daemon = await startTestDaemon();
  // A repository on a feature branch that tracks origin, as after `git push -u origin feature/login`.
  repo = mkdtempSync(join(tmpdir(), 'cavra-push-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x');
  git('init', '-q', '--bare', join(repo, '.origin.git'));
  git('remote', 'add', 'origin', join(repo, '.origin.git'));
  git('checkout', '-q', '-b', 'feature/login');
  git('push', '-q', '-u', 'origin', 'feature/login');
});
afterAll(async () => {
  await daemon.close();
  await rm(repo, { recursive: true, force: true });
});

async function answer(toolName: string, toolInput: unknown, cwd = '/work/project') {
  const result = await runHookProcess(
    ['claude-code', '--socket', daemon.socketPath],
    claudePayload(toolName, toolInput, cwd),
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  if (result.stdout === '') return 'no opinion';
  const output = JSON.parse(result.stdout).hookSpecificOutput;
  return `${output.permissionDecision}: ${output.permissionDecisionReason}`;
}

describe('Claude Code tools without a mapping of their own', () => {
  it('every pass-through tool has a reason and a source, and the hook gives no opinion on it', async () => {
    expect(CLAUDE_CODE_PASS_THROUGH.map((entry) => entry.tool)).toEqual([
      'TodoWrite',
      'ExitPlanMode',
      'EnterPlanMode',
      'AskUserQuestion',
      'Task',
      'Agent',
      'BashOutput',
      'KillShell',
      'Skill',
      'SlashCommand',
      'ListMcpResourcesTool',
    ]);
    for (const entry of CLAUDE_CODE_PASS_THROUGH) {
      expect(entry.why).not.toBe('');
      expect(entry.source).toMatch(/^https:\/\/docs\.claude\.com\//);
    }
    expect(await answer('AskUserQuestion', { questions: [{ question: 'Which DB?', options: [] }] })).toBe(
      'no opinion',
    );
    expect(await answer('BashOutput', { bash_id: 'shell_1' })).toBe('no opinion');
  });

  it.each([
    [
      'WebFetch',
      { url: 'https://docs.npmjs.com/cli', prompt: 'summarise' },
      "ask: CAVRA require_approval (network.default.require_approval): host 'docs.npmjs.com' is on no network list: review required (approver group: Platform Security)",
    ],
    [
      'WebSearch',
      { query: 'vitest config', allowed_domains: ['vitest.dev'] },
      "ask: CAVRA require_approval (network.default.require_approval): host 'vitest.dev' is on no network list: review required (approver group: Platform Security)",
    ],
    [
      'LS',
      { path: 'src' },
      "allow: CAVRA allow (filesystem.read.allow): no filesystem rule blocks reading '/work/project/src'",
    ],
    [
      'ReadMcpResourceTool',
      { server: 'shell', uri: 'file:///etc/passwd' },
      "deny: CAVRA block (mcp.server.trust.block_unknown): MCP server 'shell' is blocked (mcp.blocked_servers[0])",
    ],
  ])('%s %j', async (tool, input, expected) => {
    expect(await answer(tool, input)).toBe(expected);
  });
});

describe('paths: relative ones against cwd, globs and directories outside the project', () => {
  it.each([
    [
      'Read',
      { file_path: '.env' },
      "deny: CAVRA block (filesystem.read.block): reading '/work/project/.env' is blocked by pattern '.env' (filesystem.block_read[0])",
    ],
    [
      'Write',
      { file_path: '.github/workflows/ci.yml', content: 'x' },
      "deny: CAVRA block (filesystem.write.block): writing '/work/project/.github/workflows/ci.yml' is blocked by pattern '.github/workflows/**' (filesystem.block_write[0])",
    ],
    [
      'Grep',
      { pattern: 'KEY', glob: '**/.env' },
      "deny: CAVRA block (filesystem.read.block): reading '/work/project/**/.env' is blocked by pattern '.env' (filesystem.block_read[0])",
    ],
    [
      'Glob',
      { pattern: '**/*.pem' },
      "deny: CAVRA block (filesystem.read.block): reading '/work/project/**/*.pem' is blocked by pattern '**/*.pem' (filesystem.block_read[4])",
    ],
    [
      'Glob',
      { pattern: '**/{id_rsa,.env}' },
      "deny: CAVRA block (filesystem.read.block): reading '/work/project/**/id_rsa' is blocked by pattern '**/id_rsa' (filesystem.block_read[8])",
    ],
    [
      'Grep',
      { pattern: 'password', path: '/home' },
      "ask: CAVRA require_approval (runtime.default.require_approval): no rule knows action type 'read_directory': review required (approver group: Repository Owners)",
    ],
    [
      'Glob',
      { pattern: '/home/*/.aws/**' },
      "deny: CAVRA block (filesystem.read.block): reading '/home/*/.aws/**' is blocked by pattern '**/.aws/**' (filesystem.block_read[30])",
    ],
    [
      'Glob',
      { pattern: '../../**/*' },
      "ask: CAVRA require_approval (runtime.default.require_approval): no rule knows action type 'read_directory': review required (approver group: Repository Owners)",
    ],
    [
      'Grep',
      { pattern: 'TODO', path: 'src', glob: '*.ts' },
      "allow: CAVRA allow (filesystem.read.allow): no filesystem rule blocks reading '/work/project/src'",
    ],
  ])('%s %j', async (tool, input, expected) => {
    expect(await answer(tool, input)).toBe(expected);
  });
});

it('a glob whose braces expand to more than 64 patterns cannot be judged: denied', async () => {
  const result = await runHookProcess(
    ['claude-code', '--socket', daemon.socketPath],
    claudePayload('Glob', { pattern: 'src/{1..1000}.ts' }),
  );
  expect(result).toEqual({
    stdout: '',
    stderr: 'CAVRA: no decision, denied: the glob "src/{1..1000}.ts" cannot be expanded\n',
    code: 2,
  });
});

describe('git push without a refspec', () => {
  it('on a feature branch is judged as the push git makes (origin feature/login), not as a protected push', async () => {
    expect(await answer('Bash', { command: 'git push' }, repo)).toBe(
      "ask: CAVRA require_approval (commands.default.require_approval): command 'git push origin feature/login' is not on the allow list (approver group: Repository Owners)",
    );
    const pushes = (await daemon.evidence())
      .map((record) => record.decision as Record<string, unknown>)
      .filter((decision) => decision.action_type === 'git_push');
    expect(pushes.at(-1)).toMatchObject({ target: 'feature/login', decision: 'allow' });
  });

  it('on main is blocked by the git rules', async () => {
    execFileSync('git', ['checkout', '-q', 'main'], { cwd: repo });
    try {
      expect(await answer('Bash', { command: 'git push -u origin' }, repo)).toBe(
        "deny: CAVRA block (commands.block): command 'git push -u origin main' is blocked by pattern 'git push * main' (commands.block[10])",
      );
    } finally {
      execFileSync('git', ['checkout', '-q', 'feature/login'], { cwd: repo });
    }
  });

  it('outside a repository: the branch cannot be read, denied as before', async () => {
    const result = await runHookProcess(
      ['claude-code', '--socket', daemon.socketPath],
      claudePayload('Bash', { command: 'git push' }, tmpdir()),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `CAVRA: no decision, denied: cannot tell which branch \`git push\` pushes in ${tmpdir()}: git symbolic-ref failed\n`,
    );
  });
});
