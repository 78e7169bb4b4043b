import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Authority, cursor, daemonAuthority, geminiCli, runHook } from '../src/index.js';
import { runHookProcess, startTestDaemon, type TestDaemon, writeMcpPack } from './support/test-daemon.js';

let daemon: TestDaemon;
let mcpDaemon: TestDaemon;
let authority: Authority;
let mcpAuthority: Authority;
beforeAll(async () => {
  daemon = await startTestDaemon();
  authority = daemonAuthority({ socketPath: daemon.socketPath });
  mcpDaemon = await startTestDaemon({ policy_packs: [writeMcpPack(daemon.dir)] });
  mcpAuthority = daemonAuthority({ socketPath: mcpDaemon.socketPath });
});
afterAll(async () => {
  await Promise.all([authority.close(), mcpAuthority.close()]);
  await mcpDaemon.close();
  await daemon.close();
});

const CURSOR_COMMON = {
  conversation_id: 'conv-1',
  generation_id: 'gen-1',
  workspace_roots: ['/work/project'],
};

async function answer(format: typeof cursor, payload: unknown, by = authority) {
  // The MCP daemon's only pack is not the baseline: the request names it, so the decision echoes what was asked.
  const policyPack = by === mcpAuthority ? 'agent-hooks-test-mcp' : '';
  const result = await runHook(format, JSON.stringify(payload), { authority: by, policyPack });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout);
}

describe('Cursor hooks', () => {
  it('beforeShellExecution: allow, deny (a push to a release branch), ask', async () => {
    const hook = { ...CURSOR_COMMON, hook_event_name: 'beforeShellExecution', cwd: '/work/project' };
    expect(await answer(cursor, { ...hook, command: 'npm test' })).toEqual({
      permission: 'allow',
      user_message: "CAVRA allow (commands.allow): command allowed by pattern 'npm test' (commands.allow[8])",
      agent_message:
        "CAVRA allow (commands.allow): command allowed by pattern 'npm test' (commands.allow[8])",
    });
    const push = await answer(cursor, { ...hook, command: 'git push origin release/2.0' });
    expect(push.permission).toBe('deny');
    expect(push.agent_message).toBe(
      "CAVRA block (git.protected_branch.block_direct_push): direct pushes to 'release/2.0' are not allowed (pattern 'release/*' (git.block_push_branches[2])): open a pull request",
    );
    expect((await answer(cursor, { ...hook, command: 'npm publish --access public' })).permission).toBe(
      'ask',
    );
  });

  it('beforeReadFile: a secret is denied; an approval-gated read would be denied too (no ask there)', async () => {
    expect(
      await answer(cursor, {
        ...CURSOR_COMMON,
        hook_event_name: 'beforeReadFile',
        file_path: '/work/project/.aws/credentials',
        content: 'x',
      }),
    ).toEqual({
      permission: 'deny',
      user_message:
        "CAVRA block (filesystem.read.block): reading '/work/project/.aws/credentials' is blocked by pattern '**/.aws/credentials' (filesystem.block_read[19])",
      agent_message:
        "CAVRA block (filesystem.read.block): reading '/work/project/.aws/credentials' is blocked by pattern '**/.aws/credentials' (filesystem.block_read[19])",
    });
  });

  it('beforeMCPExecution: the server is named by its command or URL', async () => {
    const mcp = {
      ...CURSOR_COMMON,
      hook_event_name: 'beforeMCPExecution',
      tool_name: 'query',
      tool_input: '{}',
    };
    const server = async (named: Record<string, string>) =>
      (await answer(cursor, { ...mcp, ...named }, mcpAuthority)).agent_message;
    expect(await server({ command: 'npx -y @acme/docs@1.2.0 --token x' })).toBe(
      "CAVRA allow (mcp.server.trust.allow): MCP server 'docs' is on the allow list (mcp.allowed_servers[1])",
    );
    expect(await server({ command: 'node /srv/mcp/shell.mjs' })).toBe(
      "CAVRA block (mcp.server.trust.block_unknown): MCP server 'shell' is blocked (mcp.blocked_servers[0])",
    );
    expect(await server({ server: 'filesystem', url: 'http://localhost:3000/mcp' })).toBe(
      "CAVRA allow (mcp.server.trust.allow): MCP server 'filesystem' is on the allow list (mcp.allowed_servers[0])",
    );
    expect(await server({ url: 'http://mcp.example.com/x' })).toBe(
      "CAVRA block (mcp.server.trust.block_unknown): MCP server 'mcp.example.com' is not on the allow list and unknown servers are blocked",
    );
  });

  it('an event CAVRA does not judge is denied with exit code 2', async () => {
    const result = await runHookProcess(
      ['cursor', '--socket', daemon.socketPath],
      JSON.stringify({ ...CURSOR_COMMON, hook_event_name: 'afterFileEdit', file_path: '/a' }),
    );
    expect(result).toEqual({
      stdout: '',
      stderr:
        "CAVRA: no decision, denied: Cursor hook event 'afterFileEdit' is not one CAVRA judges (beforeShellExecution, beforeReadFile, beforeMCPExecution)\n",
      code: 2,
    });
  });
});

describe('Gemini CLI BeforeTool hook', () => {
  const tool = (tool_name: string, tool_input: unknown) => ({
    session_id: 'gem-1',
    transcript_path: '/tmp/t.json',
    cwd: '/work/project',
    hook_event_name: 'BeforeTool',
    timestamp: '2026-11-30T10:00:00Z',
    tool_name,
    tool_input,
  });

  it.each([
    [
      'run_shell_command',
      { command: 'npm test' },
      'allow',
      "CAVRA allow (commands.allow): command allowed by pattern 'npm test' (commands.allow[8])",
    ],
    [
      'read_file',
      { absolute_path: '/work/project/server.key' },
      'deny',
      "CAVRA block (filesystem.read.block): reading '/work/project/server.key' is blocked by pattern '**/*.key' (filesystem.block_read[5])",
    ],
    [
      'replace',
      { file_path: '/work/project/infra/network.tf', old_string: 'a', new_string: 'b' },
      'deny',
      "CAVRA require_approval (filesystem.write.require_approval): writing '/work/project/infra/network.tf' requires approval (pattern '**/*.tf', filesystem.require_approval_write[26]) (approver group: Platform Security)",
    ],
    [
      'list_directory',
      { dir_path: '/work/project/src' },
      'allow',
      "CAVRA allow (filesystem.read.allow): no filesystem rule blocks reading '/work/project/src'",
    ],
    [
      'glob',
      { pattern: '**/.env*' },
      'deny',
      "CAVRA block (filesystem.read.block): reading '/work/project/**/.env' is blocked by pattern '.env' (filesystem.block_read[0])",
    ],
    [
      'search_file_content',
      { pattern: 'password', path: '/home', include: '*.txt' },
      'deny',
      "CAVRA require_approval (runtime.default.require_approval): no rule knows action type 'read_directory': review required (approver group: Repository Owners)",
    ],
    [
      'read_many_files',
      { paths: ['src/a.ts', 'secrets/*.pem'] },
      'deny',
      "CAVRA block (filesystem.read.block): reading '/work/project/secrets/*.pem' is blocked by pattern '**/*.pem' (filesystem.block_read[4])",
    ],
    [
      'mcp__shell__run_shell',
      { command: 'id' },
      'deny',
      "CAVRA block (mcp.server.trust.block_unknown): MCP server 'shell' is blocked (mcp.blocked_servers[0])",
    ],
  ])('%s %j → %s', async (name, input, decision, reason) => {
    const result = await answer(geminiCli, tool(name, input));
    expect(result.decision).toBe(decision);
    expect(result.reason).toBe(reason);
  });

  it('read_many_files judges every path and takes the strictest', async () => {
    const result = await answer(
      geminiCli,
      tool('read_many_files', { paths: ['/work/project/a.md', '/work/project/.npmrc'] }),
    );
    expect(result).toEqual({
      decision: 'deny',
      reason:
        "CAVRA block (filesystem.read.block): reading '/work/project/.npmrc' is blocked by pattern '**/.npmrc' (filesystem.block_read[21])",
    });
  });

  it('an approval-gated call is denied with a message for the user (Gemini CLI has no ask)', async () => {
    const result = await answer(geminiCli, tool('run_shell_command', { command: 'kubectl apply -f x.yaml' }));
    expect(result).toEqual({
      decision: 'deny',
      reason:
        "CAVRA require_approval (commands.default.require_approval): command 'kubectl apply -f x.yaml' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approver group: Repository Owners)",
      systemMessage:
        "CAVRA require_approval (commands.default.require_approval): command 'kubectl apply -f x.yaml' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approver group: Repository Owners); approve it outside Gemini CLI and retry",
    });
  });

  it('a missing daemon is exit code 2 with the reason on stderr', async () => {
    const result = await runHookProcess(
      ['gemini-cli', '--socket', `${daemon.dir}/none.sock`],
      JSON.stringify(tool('read_file', { file_path: '/a' })),
    );
    expect(result).toEqual({
      stdout: '',
      stderr: `CAVRA: no decision, denied: no CAVRA daemon answers at ${daemon.dir}/none.sock; start it with: npx cavra-daemon start --config <the cavra-daemon.yaml whose socket_path is that socket>\n`,
      code: 2,
    });
  });
});
