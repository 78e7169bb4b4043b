import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudePayload, runHookProcess, startTestDaemon, type TestDaemon } from './support/test-daemon.js';

let daemon: TestDaemon;
beforeAll(async () => {
  daemon = await startTestDaemon();
});
afterAll(async () => {
  await daemon.close();
});

async function decide(toolName: string, toolInput: unknown, cwd?: string) {
  const result = await runHookProcess(
    ['claude-code', '--socket', daemon.socketPath],
    claudePayload(toolName, toolInput, cwd),
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as {
    hookSpecificOutput: {
      hookEventName: string;
      permissionDecision: string;
      permissionDecisionReason: string;
    };
    systemMessage?: string;
  };
}

describe('cavra-hook claude-code against a real daemon (baseline pack)', () => {
  it.each([
    [
      'Bash',
      { command: 'npm test' },
      'allow',
      "CAVRA allow (commands.allow): command allowed by pattern 'npm test' (commands.allow[8])",
    ],
    [
      'Bash',
      { command: 'curl https://example.com/x.sh' },
      'deny',
      "CAVRA block (commands.block): command 'curl https://example.com/x.sh' is blocked by pattern 'curl *' (commands.block[23])",
    ],
    [
      'Bash',
      { command: 'kubectl get pods' },
      'ask',
      "CAVRA require_approval (commands.default.require_approval): command 'kubectl get pods' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approver group: Repository Owners)",
    ],
    [
      'Read',
      { file_path: '/work/project/.env' },
      'deny',
      "CAVRA block (filesystem.read.block): reading '/work/project/.env' is blocked by pattern '.env' (filesystem.block_read[0])",
    ],
    [
      'Read',
      { file_path: '/work/project/src/index.ts' },
      'allow',
      "CAVRA allow (filesystem.read.allow): no filesystem rule blocks reading '/work/project/src/index.ts'",
    ],
    [
      'Grep',
      { pattern: 'TODO', path: '/work/project/.ssh' },
      'deny',
      "CAVRA block (filesystem.read.block): reading '/work/project/.ssh' is blocked by pattern '**/.ssh/**' (filesystem.block_read[20])",
    ],
    [
      'Glob',
      { pattern: '**/*.ts' },
      'allow',
      "CAVRA allow (filesystem.read.allow): no filesystem rule blocks reading '/work/project'",
    ],
    [
      'Write',
      { file_path: '/work/project/.github/workflows/ci.yml', content: 'on: push' },
      'deny',
      "CAVRA block (filesystem.write.block): writing '/work/project/.github/workflows/ci.yml' is blocked by pattern '.github/workflows/**' (filesystem.block_write[0])",
    ],
    [
      'Write',
      { file_path: '/work/project/package.json', content: '{}' },
      'ask',
      "CAVRA require_approval (filesystem.write.require_approval): writing '/work/project/package.json' requires approval (pattern '**/package.json', filesystem.require_approval_write[6]) (approver group: Platform Security)",
    ],
    [
      'Edit',
      { file_path: '/work/project/src/a.ts', old_string: 'a', new_string: 'b' },
      'allow',
      "CAVRA allow (filesystem.write.allow): no filesystem rule restricts writing '/work/project/src/a.ts'",
    ],
    [
      'MultiEdit',
      { file_path: '/work/project/.env.local', edits: [] },
      'deny',
      "CAVRA block (filesystem.write.block): writing '/work/project/.env.local' is blocked by pattern '**/.env.*' (filesystem.block_write[6])",
    ],
    [
      'NotebookEdit',
      { notebook_path: '/work/project/Dockerfile', new_source: 'x' },
      'ask',
      "CAVRA require_approval (filesystem.write.require_approval): writing '/work/project/Dockerfile' requires approval (pattern '**/Dockerfile', filesystem.require_approval_write[47]) (approver group: Platform Security)",
    ],
    [
      'mcp__github__create_issue',
      { title: 'x' },
      'deny',
      "CAVRA block (mcp.server.trust.block_unknown): MCP server 'github' is not on the allow list and unknown servers are blocked",
    ],
    [
      'mcp__shell__run',
      { cmd: 'id' },
      'deny',
      "CAVRA block (mcp.server.trust.block_unknown): MCP server 'shell' is blocked (mcp.blocked_servers[0])",
    ],
    [
      'mcp__unknown__tool',
      {},
      'deny',
      "CAVRA block (mcp.server.trust.block_unknown): MCP server 'unknown' is not on the allow list and unknown servers are blocked",
    ],
  ])('%s %j → %s', async (tool, input, permission, reason) => {
    const answer = await decide(tool, input);
    expect(answer).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: permission,
        permissionDecisionReason: reason,
      },
    });
  });

  it('judges a push inside a Bash command by the git rules too, taking the stricter decision', async () => {
    // The command alone is on no list (require_approval); the push to a release branch is blocked by the git rules.
    const answer = await decide('Bash', { command: 'npm test && git push origin release/2.0' });
    expect(answer.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(answer.hookSpecificOutput.permissionDecisionReason).toBe(
      "CAVRA block (git.protected_branch.block_direct_push): direct pushes to 'release/2.0' are not allowed (pattern 'release/*' (git.block_push_branches[2])): open a pull request",
    );
    const quoted = await decide('Bash', {
      command: `bash -c 'git -C . push "or"igin HEAD:refs/heads/main'`,
    });
    expect(quoted.hookSpecificOutput.permissionDecisionReason).toBe(
      "CAVRA block (git.protected_branch.block_direct_push): direct pushes to 'main' are not allowed (pattern 'main' (git.block_push_branches[0])): open a pull request",
    );
    const feature = await decide('Bash', { command: 'git push origin feature/login' });
    expect(feature.hookSpecificOutput).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'ask',
      permissionDecisionReason:
        "CAVRA require_approval (commands.default.require_approval): command 'git push origin feature/login' is not on the allow list (approver group: Repository Owners)",
    });
  });

  it('reads the pushed branch from the repository when the push names none', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'cavra-repo-'));
    try {
      execFileSync('git', ['init', '-q', '-b', 'main', repo]);
      const answer = await decide('Bash', { command: 'git push' }, repo);
      // The command is decided first, and the runtime itself blocks a push whose branch its words do not name.
      expect(answer.hookSpecificOutput.permissionDecisionReason).toBe(
        'CAVRA block (git.protected_branch.block_direct_push): git push without a refspec pushes the current branch, which the engine cannot see: pushes are judged as if to a protected branch',
      );
      const notARepo = await runHookProcess(
        ['claude-code', '--socket', daemon.socketPath],
        claudePayload('Bash', { command: 'git push' }, join(repo, 'missing')),
      );
      expect(notARepo.code).toBe(2);
      expect(notARepo.stdout).toBe('');
      expect(notARepo.stderr).toBe(
        `CAVRA: no decision, denied: cannot tell which branch \`git push\` pushes in ${join(repo, 'missing')}: git symbolic-ref failed\n`,
      );
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('gives no opinion on tools with no effect outside the session', async () => {
    const result = await runHookProcess(
      ['claude-code', '--socket', daemon.socketPath],
      claudePayload('TodoWrite', { todos: [] }),
    );
    expect(result).toEqual({ stdout: '', stderr: '', code: 0 });
  });

  it('records every decision in the daemon evidence log, as agent claude-code', async () => {
    const before = (await daemon.evidence()).length;
    await decide('Read', { file_path: '/work/project/README.md' });
    const records = await daemon.evidence();
    expect(records.length).toBe(before + 1);
    const last = records.at(-1) as { decision: Record<string, unknown> };
    expect(last.decision).toMatchObject({
      session_id: 'session-7',
      agent_id: 'claude-code',
      action_type: 'read_file',
      target: '/work/project/README.md',
    });
  });
});

describe('cavra-hook claude-code fails closed', () => {
  const denied = (stderr: string) => ({
    stdout: '',
    stderr: `CAVRA: no decision, denied: ${stderr}\n`,
    code: 2,
  });

  it('denies an unknown tool: sent as agent_tool_call and recorded, the runtime review request becomes a deny', async () => {
    const result = await runHookProcess(
      ['claude-code', '--socket', daemon.socketPath],
      claudePayload('Teleport', { to: 'prod' }),
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).hookSpecificOutput).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason:
        'CAVRA: tool "Teleport" has no CAVRA mapping, denied (CAVRA require_approval (runtime.default.require_approval): no rule knows action type \'agent_tool_call\': review required (approver group: Repository Owners))',
    });
  });

  it('denies when the daemon refuses the request (a policy pack it has not loaded)', async () => {
    const result = await runHookProcess(
      ['claude-code', '--socket', daemon.socketPath, '--policy-pack', 'no-such-pack'],
      claudePayload('Read', { file_path: '/work/project/a.ts' }),
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^CAVRA: no decision, denied: the CAVRA daemon gave no decision \(unknown_policy_pack\): .*no-such-pack.*\n$/,
    );
  });

  it('denies a payload that is not JSON', async () => {
    const result = await runHookProcess(['claude-code', '--socket', daemon.socketPath], 'tool_name=Bash');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^CAVRA: no decision, denied: the hook payload is not JSON \(.+\); got 14 bytes\n$/,
    );
  });

  it('denies a payload without a tool, or of another event', async () => {
    expect(
      await runHookProcess(
        ['claude-code', '--socket', daemon.socketPath],
        JSON.stringify({ tool_input: {} }),
      ),
    ).toEqual(denied('payload.tool_name must be a non-empty string'));
    expect(
      await runHookProcess(
        ['claude-code', '--socket', daemon.socketPath],
        JSON.stringify({ hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: {} }),
      ),
    ).toEqual(denied("hook_event_name is 'PostToolUse', expected 'PreToolUse'"));
    expect(
      await runHookProcess(
        ['claude-code', '--socket', daemon.socketPath],
        claudePayload('Bash', { command: 7 }),
      ),
    ).toEqual(denied('tool_input.command must be a non-empty string'));
  });

  it('denies a huge tool_input unread, and a command longer than the contract bound', async () => {
    const huge = claudePayload('Write', {
      file_path: '/work/project/a.txt',
      content: 'x'.repeat(5 * 1024 * 1024),
    });
    expect(await runHookProcess(['claude-code', '--socket', daemon.socketPath], huge)).toEqual(
      denied('the hook payload is larger than 4194304 bytes'),
    );
    const small = await runHookProcess(
      ['claude-code', '--socket', daemon.socketPath, '--max-payload-bytes', '100'],
      claudePayload('Read', { file_path: '/work/project/a.txt' }),
    );
    expect(small).toEqual(denied('the hook payload is larger than 100 bytes'));
    const long = await runHookProcess(
      ['claude-code', '--socket', daemon.socketPath],
      claudePayload('Bash', { command: `echo ${'a'.repeat(20_000)}` }),
    );
    expect(long.code).toBe(2);
    expect(long.stdout).toBe('');
    expect(long.stderr).toMatch(/^CAVRA: no decision, denied: the request is not valid: .*target/);
  });

  it('denies when no daemon answers', async () => {
    const socket = join(daemon.dir, 'nobody.sock');
    expect(
      await runHookProcess(['claude-code'], claudePayload('Read', { file_path: '/a' }), {
        CAVRA_SOCKET: socket,
      }),
    ).toEqual(
      denied(
        `no CAVRA daemon answers at ${socket}; start it with: npx cavra-daemon start --config <the cavra-daemon.yaml whose socket_path is that socket>`,
      ),
    );
  });

  it('denies on a bad command line, with the usage', async () => {
    const result = await runHookProcess(
      ['claude-code', '--socket'],
      claudePayload('Read', { file_path: '/a' }),
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^cavra-hook: usage error, denied: Option '--socket <value>' argument missing\nusage:/,
    );
  });
});

describe('cavra-hook claude-code --engine in-process', () => {
  it('decides with the runtime in the hook process, without a daemon', async () => {
    const result = await runHookProcess(
      ['claude-code', '--engine', 'in-process'],
      claudePayload('Read', { file_path: '/work/project/id_rsa' }),
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).hookSpecificOutput).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason:
        "CAVRA block (filesystem.read.block): reading '/work/project/id_rsa' is blocked by pattern '**/id_rsa' (filesystem.block_read[8])",
    });
  });
});
