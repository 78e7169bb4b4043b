import type {
  CanUseTool,
  HookCallback,
  HookCallbackMatcher,
  Options,
  PermissionResult,
  PreToolUseHookInput,
  SyncHookJSONOutput,
} from '@anthropic-ai/claude-agent-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Authority,
  askedCallsIn,
  cavraCanUseTool,
  cavraPostToolUseHook,
  cavraPreToolUseHook,
  daemonAuthority,
} from '../src/index.js';
import { startTestDaemon, type TestDaemon } from './support/test-daemon.js';

let daemon: TestDaemon;
let authority: Authority;
beforeAll(async () => {
  daemon = await startTestDaemon();
  authority = daemonAuthority({ socketPath: daemon.socketPath });
});
afterAll(async () => {
  await authority.close();
  await daemon.close();
});

const signal = new AbortController().signal;
/** The options the SDK passes to canUseTool (its type: a change there breaks this test's typecheck). */
const call = (toolUseID: string): Parameters<CanUseTool>[2] => ({
  signal,
  toolUseID,
  requestId: `req-${toolUseID}`,
});

function preToolUse(toolName: string, toolInput: unknown): PreToolUseHookInput {
  return {
    hook_event_name: 'PreToolUse',
    session_id: 'sdk-session',
    transcript_path: '/tmp/t.jsonl',
    cwd: '/work/project',
    tool_name: toolName,
    tool_input: toolInput,
    tool_use_id: 'toolu_9',
  };
}

describe('the Claude Agent SDK callbacks, typed by the SDK', () => {
  // These assignments are the type test: a change in the SDK's published types that our callbacks no longer fit
  // fails `tsc` (the package's typecheck), not a user's build.
  it('fit the SDK option types', () => {
    const canUseTool: CanUseTool = cavraCanUseTool({ authority });
    const hook: HookCallback = cavraPreToolUseHook({ authority });
    const matcher: HookCallbackMatcher = { hooks: [hook] };
    const post: HookCallback = cavraPostToolUseHook({ authority, askedCalls: askedCallsIn(daemon.dir) });
    const options: Options = {
      canUseTool,
      hooks: { PreToolUse: [matcher], PostToolUse: [{ hooks: [post] }] },
    };
    expect(typeof options.canUseTool).toBe('function');
  });

  it('canUseTool allows, denies, and denies an approval-gated call unless approve says yes', async () => {
    const canUseTool: CanUseTool = cavraCanUseTool({ authority, sessionId: 'sdk-session' });
    const allowed: PermissionResult | null = await canUseTool(
      'Read',
      { file_path: '/work/project/a.ts' },
      call('t1'),
    );
    expect(allowed).toEqual({ behavior: 'allow', updatedInput: { file_path: '/work/project/a.ts' } });
    expect(await canUseTool('Bash', { command: 'sudo rm -rf /tmp/x' }, call('t2'))).toEqual({
      behavior: 'deny',
      message:
        "CAVRA block (commands.block): command 'sudo rm -rf /tmp/x' is blocked by pattern 'sudo *' (commands.block[22])",
    });
    const gated = { command: 'kubectl rollout restart deploy/web' };
    expect(await canUseTool('Bash', gated, call('t3'))).toEqual({
      behavior: 'deny',
      message:
        "CAVRA require_approval (commands.default.require_approval): command 'kubectl rollout restart deploy/web' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approver group: Repository Owners)",
    });
    const approving = cavraCanUseTool({ authority, approve: async (tool) => tool === 'Bash' });
    expect(await approving('Bash', gated, call('t4'))).toEqual({ behavior: 'allow', updatedInput: gated });
  });

  it('canUseTool denies when no daemon answers', async () => {
    const nobody = daemonAuthority({ socketPath: `${daemon.dir}/nobody.sock` });
    const canUseTool = cavraCanUseTool({ authority: nobody });
    expect(await canUseTool('Read', { file_path: '/a' }, call('t5'))).toEqual({
      behavior: 'deny',
      message: `CAVRA: no decision, denied: no CAVRA daemon answers at ${daemon.dir}/nobody.sock; start it with: npx cavra-daemon start --config <the cavra-daemon.yaml whose socket_path is that socket>`,
    });
    await nobody.close();
  });

  it('the PreToolUse callback answers as the command hook does', async () => {
    const hook: HookCallback = cavraPreToolUseHook({ authority });
    const denied: SyncHookJSONOutput = (await hook(
      preToolUse('Write', { file_path: '/work/project/deploy.pem', content: 'x' }),
      'toolu_9',
      { signal },
    )) as SyncHookJSONOutput;
    expect(denied).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason:
          "CAVRA block (filesystem.write.block): writing '/work/project/deploy.pem' is blocked by pattern '**/*.pem' (filesystem.block_write[7])",
      },
    });
    expect(
      await hook(preToolUse('Bash', { command: 'git push origin release/3' }), 'toolu_9', { signal }),
    ).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason:
          "CAVRA block (git.protected_branch.block_direct_push): direct pushes to 'release/3' are not allowed (pattern 'release/*' (git.block_push_branches[2])): open a pull request",
      },
    });
    expect(await hook(preToolUse('TodoWrite', { todos: [] }), 'toolu_9', { signal })).toEqual({});
    expect(await hook(preToolUse('Read', 'not an object'), 'toolu_9', { signal })).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason: 'CAVRA: no decision, denied: the tool input is not an object',
      },
    });
  });
});
