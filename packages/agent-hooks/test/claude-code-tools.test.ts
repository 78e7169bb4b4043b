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

async function answer(toolName: string, toolInput: unknown, cwd = '/work/project', by = daemon) {
  const result = await runHookProcess(
    ['claude-code', '--socket', by.socketPath],
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
  // The shipped developer profile allows everyday commands (git add, commit, push of a feature branch).
  let developer: TestDaemon;
  beforeAll(async () => {
    developer = await startTestDaemon({ policy_packs: ['cavra-developer'], default_pack: 'cavra-developer' });
  });
  afterAll(async () => {
    await developer.close();
  });

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

  it('chained after a commit, under the developer profile: the push git makes is allowed, recorded spelled out', async () => {
    const command = 'git add -A && git commit -m x && git push';
    expect(await answer('Bash', { command }, repo, developer)).toBe(
      "allow: CAVRA allow (commands.allow): command allowed by pattern 'git add *' (commands.allow[23])",
    );
    expect(await lastDecisions(2)).toEqual([
      {
        action_type: 'execute_command',
        target: 'git add -A && git commit -m x && git push origin feature/login',
        decision: 'allow',
        rule_id: 'commands.allow',
      },
      { action_type: 'git_push', target: 'feature/login', decision: 'allow', rule_id: 'git.allow' },
    ]);
    expect(await answer('Bash', { command: 'git push origin HEAD' }, repo, developer)).toBe(
      "allow: CAVRA allow (commands.allow): command allowed by pattern 'git push *' (commands.allow[53])",
    );
  });

  it('chained on main: the spelled push is blocked by the command rules and the git rules', async () => {
    execFileSync('git', ['checkout', '-q', 'main'], { cwd: repo });
    try {
      // main tracks no upstream here: a bare push has no destination to read, and is judged as sent.
      expect(
        await answer('Bash', { command: 'git add -A && git commit -m x && git push' }, repo, developer),
      ).toBe(
        'deny: CAVRA block (git.protected_branch.block_direct_push): git push without a refspec pushes the current branch, which the engine cannot see: pushes are judged as if to a protected branch',
      );
      const command = 'git add -A && git commit -m x && git push origin HEAD';
      expect(await answer('Bash', { command }, repo, developer)).toBe(
        "deny: CAVRA block (commands.block): command 'git push origin main' is blocked by pattern 'git push origin main' (commands.block[8])",
      );
      expect(await lastDecisions(2)).toEqual([
        {
          action_type: 'execute_command',
          target: 'git add -A && git commit -m x && git push origin main',
          decision: 'block',
          rule_id: 'commands.block',
        },
        {
          action_type: 'git_push',
          target: 'main',
          decision: 'block',
          rule_id: 'git.protected_branch.block_direct_push',
        },
      ]);
    } finally {
      execFileSync('git', ['checkout', '-q', 'feature/login'], { cwd: repo });
    }
  });

  it('after a cd, twice, or in a subshell: judged as sent, blocked as before', async () => {
    for (const command of ['cd ../other && git push', 'git push; git push', '(git push)']) {
      expect(await answer('Bash', { command }, repo, developer)).toBe(
        'deny: CAVRA block (git.protected_branch.block_direct_push): git push without a refspec pushes the current branch, which the engine cannot see: pushes are judged as if to a protected branch',
      );
    }
  });

  /** The last `count` decisions the developer daemon recorded. */
  async function lastDecisions(count: number) {
    return (await developer.evidence()).slice(-count).map((record) => {
      const { action_type, target, decision, rule_id } = record.decision as Record<string, unknown>;
      return { action_type, target, decision, rule_id };
    });
  }

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
