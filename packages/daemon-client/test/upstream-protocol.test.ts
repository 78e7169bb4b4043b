import { createHmac } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EvaluateRequestCodec } from '@cavra/contracts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkDecision, createClient, type DaemonClientOptions, withRunnerAuth } from '../src/index.js';
import { failure } from './support/client-failure.js';
import { goDaemonEcho, omitEmpty } from './support/go-daemon-answer.js';
import { type OneShotBehaviour, OneShotPeer, removeOneShotDirs, reply } from './support/one-shot-peer.js';

afterAll(removeOneShotDirs);

const REQUEST = {
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'execute_command',
  target: 'terraform plan',
  requested_operation: 'terraform plan',
  policy_pack: 'cavra-ai-agent-baseline',
};

/**
 * An answer as upstream's Go daemon writes it: the request fields it echoes, with its fill-ins (goDaemonEcho), its
 * decision (an MCP call, whose server and tool its daemon request drops, is an unregistered server), and proto3
 * JSON without its empty fields (approver_group, ...), as Go's omitempty writes it.
 */
const upstreamAnswer = (request: Record<string, unknown>) => {
  const echo = goDaemonEcho(request);
  const decided =
    echo.action_type === 'mcp_tool_call'
      ? {
          rule_id: 'mcp.registry.unknown',
          decision: 'block',
          severity: 'high',
          reason: 'MCP server is not registered.',
        }
      : {
          rule_id: 'commands.allow',
          decision: 'allow',
          severity: 'low',
          reason: 'command is on the allow list',
        };
  return omitEmpty({
    decision_id: 'dec_0123456789ab',
    ...echo,
    policy_id: echo.policy_pack,
    ...decided,
    approver_group: '',
    evidence_refs: [
      `evidence://${echo.session_id}/dec_0123456789ab`,
      'go-daemon-evidence://0123456789abcdef01234567',
    ],
    timestamp: '2026-11-25T10:00:00Z',
    correlation_id: 'corr_0123456789ab',
  });
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

async function setup(behaviour: OneShotBehaviour, options: Partial<DaemonClientOptions> = {}) {
  const peer = await new OneShotPeer(behaviour).start();
  const client = createClient({
    socketPath: peer.socketPath,
    protocol: 'upstream',
    timeoutMs: 2000,
    ...options,
  });
  cleanup.push(
    () => client.close(),
    () => peer.stop(),
  );
  return { peer, client };
}

describe("protocol: 'upstream' (one bare request per connection)", () => {
  it('sends one bare EvaluateRequest and a newline, and reads the bare answer; missing fields read as empty', async () => {
    const { peer, client } = await setup(reply(upstreamAnswer));
    const decision = await client.evaluate(REQUEST);
    expect(peer.received).toEqual([`${JSON.stringify(REQUEST)}\n`]);
    expect([decision.decision, decision.rule_id, decision.approver_group]).toEqual([
      'allow',
      'commands.allow',
      '',
    ]);
    await client.evaluate(REQUEST);
    expect(peer.received).toHaveLength(2);
  });

  it.each([
    [
      'only a decision',
      () => ({ decision: 'allow' }),
      "the daemon's DecisionResponse is incomplete: no rule_id",
    ],
    [
      'camelCase keys',
      (request: Record<string, unknown>) => {
        const { rule_id, ...rest } = upstreamAnswer(request);
        return { ...rest, ruleId: rule_id };
      },
      'the daemon\'s DecisionResponse has the key "ruleId", which is not a DecisionResponse field',
    ],
    [
      'another target',
      (request: Record<string, unknown>) => upstreamAnswer({ ...request, target: 'ls' }),
      "the daemon's DecisionResponse does not echo the request's target",
    ],
    ['an array', () => [], "the daemon's DecisionResponse is not a JSON object"],
  ])('refuses %s as a protocol error, never as an allow', async (_name, body, message) => {
    const { client } = await setup(reply(body));
    expect(await failure(client.evaluate(REQUEST))).toEqual(['protocol_error', message]);
  });

  it('reads an answer ended by the close without a newline, and refuses one that is not JSON', async () => {
    const { client, peer } = await setup((request, socket) =>
      socket.end(JSON.stringify(upstreamAnswer(request))),
    );
    expect((await client.evaluate(REQUEST)).decision).toBe('allow');
    peer.behaviour = (_request, socket) => socket.end('{"decision":"allow"');
    expect(await failure(client.evaluate(REQUEST))).toEqual([
      'protocol_error',
      "the daemon's answer is unreadable: frame is not valid JSON",
    ]);
  });

  it('fails closed when the daemon closes without answering, is gone, or is silent', async () => {
    const { client, peer } = await setup((_request, socket) => socket.end());
    expect(await failure(client.evaluate(REQUEST))).toEqual([
      'daemon_unavailable',
      'the daemon closed the connection before answering',
    ]);
    peer.behaviour = () => {};
    expect(await failure(client.evaluate(REQUEST, { timeoutMs: 200 }))).toEqual([
      'timeout',
      'no answer from the daemon within 200 ms',
    ]);
    await peer.stop();
    expect((await failure(client.evaluate(REQUEST)))[0]).toBe('daemon_unavailable');
  });

  it('says plainly that there is no health call, nor a correlation id, in this protocol', async () => {
    const { client, peer } = await setup(reply(upstreamAnswer));
    expect(await failure(client.health())).toEqual([
      'not_supported',
      'the upstream protocol has no health call: an upstream CAVRA daemon reads every connection as an EvaluateRequest',
    ]);
    expect((await failure(client.evaluate(REQUEST, { correlationId: 'trace-1' })))[0]).toBe('not_supported');
    expect(peer.received).toEqual([]);
  });

  it('refuses an untrusted socket folder here too', async () => {
    const { client, peer } = await setup(reply(upstreamAnswer));
    await chmod(dirname(peer.socketPath), 0o777);
    expect((await failure(client.evaluate(REQUEST)))[0]).toBe('untrusted_daemon');
    expect(peer.received).toEqual([]);
  });

  it("signs in upstream's identity-only scheme when asked to", async () => {
    const { client, peer } = await setup(reply(upstreamAnswer));
    const secret = 'test-only-secret-0123456789abcdef-not-for-production';
    const signed = withRunnerAuth(
      client,
      { hmac: { keyId: 'upstream-runners', secret, scheme: 'cavra.runner-auth.v1' } },
      { identity: { provider: 'github-actions', repository: 'acme/app' } },
    );
    await signed.evaluate(REQUEST);
    const sent = JSON.parse(peer.received[0] as string);
    const text =
      'cavra.runner-auth.v1\nprovider=github-actions\nrepository=acme/app\nworkflow=\nrun_id=\nrun_attempt=\nref=\nsha=\nactor=\njob=\nrunner_name=';
    expect(sent.runner_auth).toEqual({
      identity: { provider: 'github-actions', repository: 'acme/app' },
      algorithm: 'HMAC-SHA256',
      key_id: 'upstream-runners',
      signature: createHmac('sha256', secret).update(text).digest('hex'),
    });
  });
});

describe("protocol: 'upstream' accepts every answer of upstream's Go daemon for the request sent", () => {
  const base = { session_id: 'session-7', agent_id: 'claude-code', actor: 'dev@example.com' };
  it.each([
    ['a read without an operation', { action_type: 'read_file', target: 'README.md' }, 'README.md', 'read'],
    [
      'a read with another operation',
      { action_type: 'read_file', target: 'README.md', requested_operation: 'cat' },
      'README.md',
      'read',
    ],
    [
      'a write without an operation',
      { action_type: 'write_file', target: 'src/app.ts' },
      'src/app.ts',
      'write',
    ],
    [
      'a command without an operation',
      { action_type: 'execute_command', target: '  npm test ' },
      'npm test',
      'npm test',
    ],
    [
      'a command with another operation',
      { action_type: 'execute_command', target: 'npm test', requested_operation: 'run' },
      'npm test',
      'npm test',
    ],
    [
      'a git operation without an operation',
      { action_type: 'git_operation', target: 'origin/feature-x' },
      'origin/feature-x',
      'origin/feature-x',
    ],
    [
      'a push to main',
      { action_type: 'git_operation', target: 'origin/main', requested_operation: 'push' },
      'origin/main',
      'push',
    ],
    ['an MCP call', { action_type: 'mcp_tool_call', target: 'github:create_issue' }, ':', ''],
    [
      'an MCP call with an operation',
      { action_type: 'mcp_tool_call', target: 'github:create_issue', requested_operation: 'write' },
      ':',
      'write',
    ],
    ['an unknown action type', { action_type: 'deploy', target: 'prod' }, 'prod', ''],
    [
      'release-governance evidence without an action type',
      { release_governance: { metadata_kind: 'rollout-rollback-execution', approval_required_count: 1 } },
      'rollout-rollback-execution',
      'verify',
    ],
  ])('%s', async (_name, fields, target, operation) => {
    const { client } = await setup(reply(upstreamAnswer));
    const decision = await client.evaluate({ ...base, ...fields });
    expect([decision.session_id, decision.target, decision.requested_operation]).toEqual([
      'session-7',
      target,
      operation,
    ]);
  });

  it('fills in empty session, agent, actor and pack as upstream does', async () => {
    const { client } = await setup(reply(upstreamAnswer));
    const decision = await client.evaluate({ action_type: 'read_file', target: 'README.md' });
    expect([decision.session_id, decision.agent_id, decision.actor, decision.policy_pack]).toEqual([
      'local',
      'unknown-agent',
      'ai-agent',
      'cavra-ai-agent-baseline',
    ]);
  });

  const MCP = {
    ...base,
    action_type: 'mcp_tool_call',
    target: 'github:create_issue',
    requested_operation: 'write',
  };
  it.each([
    ['another session', { session_id: 'session-8' }, 'session_id'],
    ['another agent', { agent_id: 'other-agent' }, 'agent_id'],
    ['another actor', { actor: 'ai-agent' }, 'actor'],
    ['another action type', { action_type: 'read_file' }, 'action_type'],
    ["a target neither ours nor upstream's fill-in", { target: 'github:delete_repo' }, 'target'],
    ['the fill-in of another MCP call', { target: 'evil:' }, 'target'],
    ['another operation', { requested_operation: 'read' }, 'requested_operation'],
    ['another pack', { policy_pack: 'cavra-mcp-enterprise' }, 'policy_pack'],
  ])('refuses an answer about another request: %s', async (_name, change, field) => {
    const { client } = await setup(reply((request) => ({ ...upstreamAnswer(request), ...change })));
    expect(await failure(client.evaluate({ ...MCP, policy_pack: 'cavra-ai-agent-baseline' }))).toEqual([
      'protocol_error',
      `the daemon's DecisionResponse does not echo the request's ${field}`,
    ]);
  });

  it('refuses the file mode of the other action type, and a fill-in on a request that has none', async () => {
    const { client } = await setup(
      reply((request) => ({ ...upstreamAnswer(request), requested_operation: 'write' })),
    );
    expect((await failure(client.evaluate({ ...base, action_type: 'read_file', target: 'a' })))[1]).toBe(
      "the daemon's DecisionResponse does not echo the request's requested_operation",
    );
    const read = EvaluateRequestCodec.fromJSON({ ...base, action_type: 'deploy', target: 'prod' });
    expect(() =>
      checkDecision(
        upstreamAnswer({ ...base, action_type: 'deploy', target: 'prod', requested_operation: 'read' }),
        read,
        {
          complete: false,
          upstreamFillIns: true,
        },
      ),
    ).toThrow("the daemon's DecisionResponse does not echo the request's requested_operation");
  });

  it("trims a command as Go's strings.TrimSpace does: U+0085 is space, U+FEFF is not", () => {
    const answerFor = (sent: string, answered: string) =>
      checkDecision(
        {
          ...upstreamAnswer({ ...base, action_type: 'execute_command', target: sent }),
          target: answered,
          requested_operation: answered,
        },
        EvaluateRequestCodec.fromJSON({ ...base, action_type: 'execute_command', target: sent }),
        { complete: false, upstreamFillIns: true },
      ).target;
    expect(answerFor('npm test\u0085', 'npm test')).toBe('npm test');
    expect(answerFor('\u00a0npm test\u3000', 'npm test')).toBe('npm test');
    expect(() => answerFor('\ufeffnpm test', 'npm test')).toThrow(
      "the daemon's DecisionResponse does not echo the request's target",
    );
  });

  it("accepts upstream's fill-ins only when asked: v1 answers echo the request", () => {
    const message = EvaluateRequestCodec.fromJSON({
      ...base,
      action_type: 'mcp_tool_call',
      target: 'github:create_issue',
    });
    const answer = upstreamAnswer({ ...base, action_type: 'mcp_tool_call', target: 'github:create_issue' });
    expect(checkDecision(answer, message, { complete: false, upstreamFillIns: true }).target).toBe(':');
    expect(() => checkDecision(answer, message, { complete: false })).toThrow(
      "the daemon's DecisionResponse does not echo the request's target",
    );
  });
});
