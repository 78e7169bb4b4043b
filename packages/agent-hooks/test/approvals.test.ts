import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Authority,
  askedCallsIn,
  cavraCanUseTool,
  cavraPostToolUseHook,
  cavraPreToolUseHook,
  cursor,
  daemonAuthority,
  geminiCli,
  runHook,
} from '../src/index.js';
import { type TestApprover, testApprover } from './support/approver.js';
import { HOOK_STATE_DIR, runHookProcess, startTestDaemon, type TestDaemon } from './support/test-daemon.js';

// Two daemons with the local approval store and alice approving for Repository Owners (the baseline's group for
// kubectl): `keyboard` lets the person at the keyboard answer (the local default), `pending` does not.
let alice: TestApprover;
let keyboard: TestDaemon;
let pending: TestDaemon;
let plain: TestDaemon;
const authorities: Authority[] = [];
beforeAll(async () => {
  alice = await testApprover();
  keyboard = await startTestDaemon({ approvals: alice.approvals('Repository Owners') });
  pending = await startTestDaemon({
    approvals: alice.approvals('Repository Owners', { self_approval_at_keyboard: false }),
  });
  plain = await startTestDaemon();
});
afterAll(async () => {
  await Promise.all(authorities.map((authority) => authority.close()));
  await Promise.all([keyboard.close(), pending.close(), plain.close()]);
});

function authorityOf(daemon: TestDaemon): Authority {
  const authority = daemonAuthority({ socketPath: daemon.socketPath });
  authorities.push(authority);
  return authority;
}

/** A Claude Code payload of `event` for one call. */
function payload(event: 'PreToolUse' | 'PostToolUse', toolUseId: string, command: string): string {
  return JSON.stringify({
    session_id: 'session-approvals',
    transcript_path: '/home/dev/.claude/projects/p/session-approvals.jsonl',
    cwd: '/work/project',
    hook_event_name: event,
    tool_name: 'Bash',
    tool_input: { command },
    tool_use_id: toolUseId,
    ...(event === 'PostToolUse' ? { tool_response: { stdout: 'ok', stderr: '', interrupted: false } } : {}),
  });
}

/** Runs Claude Code's PreToolUse hook command and returns its hookSpecificOutput. */
async function preToolUse(daemon: TestDaemon, toolUseId: string, command: string) {
  const result = await runHookProcess(
    ['claude-code', '--socket', daemon.socketPath],
    payload('PreToolUse', toolUseId, command),
  );
  expect([result.code, result.stderr]).toEqual([0, '']);
  return JSON.parse(result.stdout).hookSpecificOutput as {
    permissionDecision: string;
    permissionDecisionReason: string;
  };
}

function postToolUse(socketPath: string, toolUseId: string, command: string, input?: string) {
  return runHookProcess(
    ['claude-code-post-tool-use', '--socket', socketPath],
    input ?? payload('PostToolUse', toolUseId, command),
  );
}

/** The daemon's evidence events, in order. */
async function events(daemon: TestDaemon): Promise<Record<string, unknown>[]> {
  return (await daemon.evidence()).flatMap((record) =>
    record.event ? [record.event as Record<string, unknown>] : [],
  );
}

/** The decision id of the last decision the daemon recorded. */
async function lastDecisionId(daemon: TestDaemon): Promise<string> {
  const decisions = (await daemon.evidence()).filter((record) => record.decision);
  return (decisions.at(-1)?.decision as { decision_id?: string } | undefined)?.decision_id ?? '';
}

/** The calls the hook keeps as asked (none before the first ask). */
function asked(): string[] {
  try {
    return readdirSync(join(HOOK_STATE_DIR, 'asked'));
  } catch {
    return [];
  }
}

describe('Claude Code, self-approval at the keyboard', () => {
  it('asks naming the request and the approve command; PostToolUse records that the asked call ran', async () => {
    const before = asked().length;
    const output = await preToolUse(keyboard, 'toolu_kb1', 'kubectl get pods');
    const id = await lastDecisionId(keyboard);
    expect(output).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'ask',
      permissionDecisionReason: `CAVRA require_approval (commands.default.require_approval): command 'kubectl get pods' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approval request ${id}: cavra approval approve ${id}) (approver group: Repository Owners)`,
    });
    expect(asked().length).toBe(before + 1);
    // The person said yes; the call ran; Claude Code runs PostToolUse.
    expect(await postToolUse(keyboard.socketPath, 'toolu_kb1', 'kubectl get pods')).toEqual({
      stdout: '',
      stderr: '',
      code: 0,
    });
    expect((await events(keyboard)).at(-1)).toEqual({
      type: 'asked_action_ran',
      decision_id: id,
      ran: true,
      tool: 'Bash',
    });
    expect(asked().length).toBe(before);
    // Told twice (a replayed payload): recorded once.
    const count = (await events(keyboard)).length;
    expect((await postToolUse(keyboard.socketPath, 'toolu_kb1', 'kubectl get pods')).stderr).toBe('');
    expect((await events(keyboard)).length).toBe(count);
  });

  it('PostToolUse of a call that was not asked does nothing, and does not reach for the daemon', async () => {
    const allowed = await preToolUse(keyboard, 'toolu_kb2', 'npm test');
    expect(allowed.permissionDecision).toBe('allow');
    const nobody = join(keyboard.dir, 'nobody.sock');
    expect(await postToolUse(nobody, 'toolu_kb2', 'npm test')).toEqual({ stdout: '', stderr: '', code: 0 });
  });

  it('PostToolUse never blocks: a daemon gone or a bad payload is a line on stderr and exit code 0', async () => {
    await preToolUse(keyboard, 'toolu_kb3', 'kubectl get nodes');
    const id = await lastDecisionId(keyboard);
    const nobody = join(keyboard.dir, 'nobody.sock');
    const gone = await postToolUse(nobody, 'toolu_kb3', 'kubectl get nodes');
    expect([gone.code, gone.stdout]).toEqual([0, '']);
    expect(
      gone.stderr.startsWith(
        `cavra-hook: PostToolUse: not recorded that Bash call toolu_kb3 (decision ${id}) ran: `,
      ),
    ).toBe(true);
    expect(await postToolUse(keyboard.socketPath, 'x', 'x', 'not json')).toEqual({
      stdout: '',
      stderr:
        'cavra-hook: PostToolUse: not recorded that the call ran: the hook payload is not JSON (Unexpected token \'o\', "not json" is not valid JSON); got 8 bytes\n',
      code: 0,
    });
    const usage = await runHookProcess(['claude-code-post-tool-use', '--bogus'], '{}');
    expect([usage.code, usage.stdout]).toEqual([0, '']);
    expect(usage.stderr).toBe("cavra-hook: PostToolUse: nothing recorded: Unknown option '--bogus'\n");
    const help = await runHookProcess(['claude-code-post-tool-use', '--help'], '{}');
    expect([help.code, help.stderr, help.stdout.split('\n')[0]]).toEqual([
      0,
      '',
      'cavra-hook: the pre-tool-use hook of AI coding agents: each tool call decided by CAVRA before it runs',
    ]);
  });

  it('a state folder the hook refuses: the call is still asked, and the prompt says its outcome will not be recorded', async () => {
    const open = join(keyboard.dir, 'open-state');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const result = await runHookProcess(
      ['claude-code', '--socket', keyboard.socketPath, '--state-dir', open],
      payload('PreToolUse', 'toolu_open', 'kubectl get svc'),
    );
    const id = await lastDecisionId(keyboard);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(JSON.parse(result.stdout).hookSpecificOutput).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'ask',
      permissionDecisionReason: `CAVRA require_approval (commands.default.require_approval): command 'kubectl get svc' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approval request ${id}: cavra approval approve ${id}) (approver group: Repository Owners) (CAVRA will not record whether it runs: ${open} must be a folder of this user (no symbolic link) that others cannot write)`,
    });
  });

  it('without an approvals: section the ask is as before, and PostToolUse still records that it ran', async () => {
    const output = await preToolUse(plain, 'toolu_plain', 'kubectl get pods');
    expect(output.permissionDecisionReason).toBe(
      "CAVRA require_approval (commands.default.require_approval): command 'kubectl get pods' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approver group: Repository Owners)",
    );
    const id = await lastDecisionId(plain);
    expect((await postToolUse(plain.socketPath, 'toolu_plain', 'kubectl get pods')).stderr).toBe('');
    expect((await events(plain)).at(-1)).toEqual({
      type: 'asked_action_ran',
      decision_id: id,
      ran: true,
      tool: 'Bash',
    });
  });

  it('the Agent SDK callbacks: PreToolUse asks naming the request, PostToolUse records that the asked call ran', async () => {
    const authority = authorityOf(keyboard);
    const askedCalls = askedCallsIn(join(keyboard.dir, 'sdk-state'));
    const pre = cavraPreToolUseHook({ authority, askedCalls });
    const post = cavraPostToolUseHook({ authority, askedCalls });
    const signal = new AbortController().signal;
    const input = {
      session_id: 'sdk-kb',
      cwd: '/work/project',
      tool_name: 'Bash',
      tool_input: { command: 'kubectl top pods' },
    };
    const asked = await pre({ ...input, hook_event_name: 'PreToolUse' }, 'toolu_sdk1', { signal });
    const id = await lastDecisionId(keyboard);
    expect(asked.hookSpecificOutput?.permissionDecision).toBe('ask');
    expect(asked.hookSpecificOutput?.permissionDecisionReason).toContain(
      `(approval request ${id}: cavra approval approve ${id})`,
    );
    expect(await post({ ...input, hook_event_name: 'PostToolUse' }, 'toolu_sdk1', { signal })).toEqual({});
    expect((await events(keyboard)).at(-1)).toEqual({
      type: 'asked_action_ran',
      decision_id: id,
      ran: true,
      tool: 'Bash',
    });
    // A daemon that is gone: the record is lost, said in a systemMessage; nothing is thrown.
    const nobody = daemonAuthority({ socketPath: join(keyboard.dir, 'nobody.sock') });
    authorities.push(nobody);
    await pre({ ...input, hook_event_name: 'PreToolUse' }, 'toolu_sdk2', { signal });
    const next = await lastDecisionId(keyboard);
    const lost = await cavraPostToolUseHook({ authority: nobody, askedCalls })(
      { ...input, hook_event_name: 'PostToolUse' },
      'toolu_sdk2',
      { signal },
    );
    expect(
      lost.systemMessage?.startsWith(
        `cavra-hook: PostToolUse: not recorded that Bash call toolu_sdk2 (decision ${next}) ran: `,
      ),
    ).toBe(true);
  });

  it('Cursor cannot record its own prompt: it denies naming the request; after approval the retry passes', async () => {
    const shell = {
      conversation_id: 'conv-approvals',
      hook_event_name: 'beforeShellExecution',
      cwd: '/work/project',
      command: 'kubectl describe pod web',
    };
    const first = await runHook(cursor, JSON.stringify(shell), { authority: authorityOf(keyboard) });
    const id = await lastDecisionId(keyboard);
    expect(JSON.parse(first.stdout)).toEqual({
      permission: 'deny',
      user_message: `CAVRA require_approval (commands.default.require_approval): command 'kubectl describe pod web' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approval request ${id}: cavra approval approve ${id}) (approver group: Repository Owners); retry the same call once it is approved`,
      agent_message: `CAVRA require_approval (commands.default.require_approval): command 'kubectl describe pod web' requires approval (pattern 'kubectl *', commands.require_approval[1]) (approval request ${id}: cavra approval approve ${id}) (approver group: Repository Owners); retry the same call once it is approved`,
    });
    await alice.approve(keyboard.socketPath, id);
    const retry = await runHook(cursor, JSON.stringify(shell), { authority: authorityOf(keyboard) });
    expect(JSON.parse(retry.stdout)).toEqual({
      permission: 'allow',
      user_message: `CAVRA allow (approval.granted): approved by alice@example.com (approval request ${id}, scope once)`,
      agent_message: `CAVRA allow (approval.granted): approved by alice@example.com (approval request ${id}, scope once)`,
    });
  });
});

describe('a pending approval (no self-approval at the keyboard)', () => {
  const pendingReason = (id: string) =>
    `CAVRA block (approval.pending): approval request ${id} is pending: retry after cavra approval approve ${id}`;
  const grantedReason = (id: string, scope = 'once') =>
    `CAVRA allow (approval.granted): approved by alice@example.com (approval request ${id}, scope ${scope})`;

  it('Claude Code denies naming the request and the command; the retry after approval is allowed', async () => {
    const denied = await preToolUse(pending, 'toolu_p1', 'kubectl rollout restart deploy/web');
    const id = await lastDecisionId(pending);
    expect(denied).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: pendingReason(id),
    });
    await alice.approve(pending.socketPath, id);
    expect(await preToolUse(pending, 'toolu_p2', 'kubectl rollout restart deploy/web')).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'allow',
      permissionDecisionReason: grantedReason(id),
    });
    const allowedBy = await lastDecisionId(pending);
    // A once grant is used up: the next identical call asks again, under a new request.
    const again = await preToolUse(pending, 'toolu_p3', 'kubectl rollout restart deploy/web');
    const next = await lastDecisionId(pending);
    expect(next).not.toBe(id);
    expect(again.permissionDecisionReason).toBe(pendingReason(next));
    expect((await events(pending)).filter((event) => event.type === 'approval_grant_used')).toEqual([
      {
        type: 'approval_grant_used',
        request_id: id,
        decision_id: allowedBy,
        decision_ref: expect.stringMatching(/^cavra-daemon-evidence:\/\/[0-9a-f]{16}\/\d+$/),
        scope: 'once',
      },
    ]);
  });

  it('Cursor and Gemini CLI deny naming the request; the retry after approval passes', async () => {
    const authority = authorityOf(pending);
    const shell = {
      conversation_id: 'conv-p',
      hook_event_name: 'beforeShellExecution',
      cwd: '/work/project',
      command: 'kubectl scale deploy/web --replicas=2',
    };
    const cursorDenied = JSON.parse((await runHook(cursor, JSON.stringify(shell), { authority })).stdout);
    const cursorId = await lastDecisionId(pending);
    expect(cursorDenied).toEqual({
      permission: 'deny',
      user_message: pendingReason(cursorId),
      agent_message: pendingReason(cursorId),
    });
    await alice.approve(pending.socketPath, cursorId);
    expect(JSON.parse((await runHook(cursor, JSON.stringify(shell), { authority })).stdout).permission).toBe(
      'allow',
    );

    const gemini = {
      session_id: 'gemini-p',
      hook_event_name: 'BeforeTool',
      cwd: '/work/project',
      tool_name: 'run_shell_command',
      tool_input: { command: 'kubectl scale deploy/web --replicas=2' },
    };
    const geminiDenied = JSON.parse((await runHook(geminiCli, JSON.stringify(gemini), { authority })).stdout);
    const geminiId = await lastDecisionId(pending);
    expect(geminiDenied).toEqual({ decision: 'deny', reason: pendingReason(geminiId) });
    await alice.approve(pending.socketPath, geminiId, 'session');
    for (const _ of [1, 2]) {
      expect(JSON.parse((await runHook(geminiCli, JSON.stringify(gemini), { authority })).stdout)).toEqual({
        decision: 'allow',
        reason: grantedReason(geminiId, 'session'),
      });
    }
  });

  it('Agent SDK canUseTool denies naming the request; the retry after approval is allowed', async () => {
    const canUseTool = cavraCanUseTool({ authority: authorityOf(pending), sessionId: 'sdk-p' });
    const input = { command: 'kubectl logs web-1' };
    const options = { signal: new AbortController().signal };
    const denied = await canUseTool('Bash', input, options);
    const id = await lastDecisionId(pending);
    expect(denied).toEqual({ behavior: 'deny', message: pendingReason(id) });
    await alice.approve(pending.socketPath, id);
    expect(await canUseTool('Bash', input, options)).toEqual({ behavior: 'allow', updatedInput: input });
  });
});
