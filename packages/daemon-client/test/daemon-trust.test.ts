import { chmod, chown, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient, type DaemonClientOptions } from '../src/index.js';
import { failure } from './support/client-failure.js';
import { type Behaviour, decisionFor, ProtocolPeer, removePeerDirs } from './support/protocol-peer.js';

afterAll(removePeerDirs);

const READ_ENV = {
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'read_file',
  target: '.env',
  requested_operation: 'read',
  policy_pack: 'cavra-ai-agent-baseline',
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

/** A daemon that answers every evaluate frame with `body(request)`, as a hostile or broken daemon would. */
async function daemonAnswering(
  body: (request: Record<string, unknown>) => unknown,
  options: Partial<DaemonClientOptions> = {},
) {
  const behaviour: Behaviour = (frame, socket) => {
    socket.write(
      `${JSON.stringify({ v: 1, id: frame.id, type: 'decision', decision: body(frame.request ?? {}) })}\n`,
    );
  };
  const peer = await new ProtocolPeer(behaviour).start();
  const client = createClient({ socketPath: peer.socketPath, timeoutMs: 2000, ...options });
  cleanup.push(
    () => client.close(),
    () => peer.stop(),
  );
  return { peer, client };
}

const allow = (request: Record<string, unknown>) => decisionFor(request, 'allow');

describe('the client refuses a daemon it cannot trust', () => {
  it('refuses a socket folder others can write (mode 0777), whatever the daemon would answer', async () => {
    const { peer, client } = await daemonAnswering(allow);
    await chmod(dirname(peer.socketPath), 0o777);
    expect(await failure(client.evaluate(READ_ENV))).toEqual([
      'untrusted_daemon',
      `refusing to ask this daemon: socket folder ${dirname(peer.socketPath)} is writable by group or others (mode 777)`,
    ]);
    expect(peer.frames).toEqual([]);
  });

  it('refuses a socket others can write', async () => {
    const { peer, client } = await daemonAnswering(allow);
    await chmod(peer.socketPath, 0o666);
    expect(await failure(client.evaluate(READ_ENV))).toEqual([
      'untrusted_daemon',
      `refusing to ask this daemon: socket ${peer.socketPath} is writable by group or others (mode 666)`,
    ]);
  });

  it('refuses a socket not owned by the expected user (configurable; default this process)', async () => {
    const uid = process.getuid?.() ?? 0;
    const { peer, client } = await daemonAnswering(allow, { expectedOwnerUid: uid + 1 });
    expect(await failure(client.evaluate(READ_ENV))).toEqual([
      'untrusted_daemon',
      `refusing to ask this daemon: socket ${peer.socketPath} is owned by uid ${uid}, not by the expected uid ${uid + 1}`,
    ]);
    expect(peer.frames).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)(
    'refuses a socket and folder owned by another user, mode 0777 (as root: chown)',
    async () => {
      const { peer, client } = await daemonAnswering(allow);
      await chmod(peer.socketPath, 0o777);
      await chown(peer.socketPath, 65534, 65534);
      await chown(dirname(peer.socketPath), 65534, 65534);
      await chmod(dirname(peer.socketPath), 0o777);
      expect(await failure(client.evaluate(READ_ENV))).toEqual([
        'untrusted_daemon',
        `refusing to ask this daemon: socket ${peer.socketPath} is owned by uid 65534, not by the expected uid 0`,
      ]);
    },
  );

  it('refuses a path that is not a socket, and says a missing one is unavailable', async () => {
    const { peer } = await daemonAnswering(allow);
    const file = join(dirname(peer.socketPath), 'not-a-socket');
    await writeFile(file, '', { mode: 0o600 });
    const client = createClient({ socketPath: file });
    cleanup.push(() => client.close());
    expect(await failure(client.evaluate(READ_ENV))).toEqual([
      'untrusted_daemon',
      `refusing to ask this daemon: ${file} is not a socket`,
    ]);
    const missing = createClient({ socketPath: join(dirname(peer.socketPath), 'gone.sock') });
    cleanup.push(() => missing.close());
    expect((await failure(missing.evaluate(READ_ENV)))[0]).toBe('daemon_unavailable');
  });

  it('asks once the folder is private again: the check runs before every new connection', async () => {
    const { peer, client } = await daemonAnswering(allow);
    await chmod(dirname(peer.socketPath), 0o777);
    expect((await failure(client.evaluate(READ_ENV)))[0]).toBe('untrusted_daemon');
    await chmod(dirname(peer.socketPath), 0o700);
    expect((await client.evaluate(READ_ENV)).decision).toBe('allow');
  });
});

describe('the client accepts only a complete DecisionResponse about its own request', () => {
  const { decision_id: _, ...withoutId } = decisionFor(READ_ENV, 'allow');
  it.each([
    ['only a decision', () => ({ decision: 'allow' }), 'is incomplete: decision_id, session_id'],
    ['a missing field', () => withoutId, 'is incomplete: decision_id missing'],
    [
      'camelCase keys',
      (request: Record<string, unknown>) => {
        const { rule_id, ...rest } = allow(request);
        return { ...rest, ruleId: rule_id };
      },
      'has the key "ruleId", which is not a DecisionResponse field',
    ],
    [
      'an unknown key',
      (request: Record<string, unknown>) => ({ ...allow(request), trust_me: true }),
      'has the key "trust_me", which is not a DecisionResponse field',
    ],
    [
      'another target',
      (request: Record<string, unknown>) => allow({ ...request, target: 'README.md' }),
      "does not echo the request's target",
    ],
    [
      'another session',
      (request: Record<string, unknown>) => allow({ ...request, session_id: 's-2' }),
      "does not echo the request's session_id",
    ],
    [
      'another agent',
      (request: Record<string, unknown>) => allow({ ...request, agent_id: 'x' }),
      "does not echo the request's agent_id",
    ],
    [
      'another action',
      (request: Record<string, unknown>) => allow({ ...request, action_type: 'write_file' }),
      "does not echo the request's action_type",
    ],
    [
      'another operation',
      (request: Record<string, unknown>) => allow({ ...request, requested_operation: 'write' }),
      "does not echo the request's requested_operation",
    ],
    [
      'another pack',
      (request: Record<string, unknown>) => allow({ ...request, policy_pack: 'lenient' }),
      "does not echo the request's policy_pack",
    ],
    [
      'no rule id',
      (request: Record<string, unknown>) => ({ ...allow(request), rule_id: '' }),
      'is incomplete: no rule_id',
    ],
  ])('refuses %s as a protocol error, never as a decision', async (_name, body, problem) => {
    const { client } = await daemonAnswering(body as (request: Record<string, unknown>) => unknown);
    const [code, message] = await failure(client.evaluate(READ_ENV));
    expect(code).toBe('protocol_error');
    expect(message.startsWith(`the daemon's DecisionResponse ${problem}`)).toBe(true);
  });

  it('accepts the engine defaults for empty request fields, and only those', async () => {
    const bare = { action_type: 'read_file', target: 'README.md' };
    const filled = (request: Record<string, unknown>) =>
      allow({
        ...request,
        session_id: 'local',
        agent_id: 'unknown-agent',
        actor: 'ai-agent',
        policy_pack: 'cavra-ai-agent-baseline',
      });
    const { client } = await daemonAnswering(filled);
    expect((await client.evaluate(bare)).session_id).toBe('local');
    // Which pack decides a request that names none is the daemon's business: any pack it names is its default.
    const team = await daemonAnswering((request) =>
      allow({ ...request, policy_pack: 'team-pack', policy_id: 'team-pack' }),
    );
    expect((await team.client.evaluate(bare)).policy_pack).toBe('team-pack');
    expect(
      (await failure(team.client.evaluate({ ...bare, policy_pack: 'cavra-ai-agent-baseline' })))[1],
    ).toBe("the daemon's DecisionResponse does not echo the request's policy_pack");
    // Unless the caller pins the default pack.
    const custom = await daemonAnswering(filled, { defaultPolicyPack: 'team-pack' });
    expect((await failure(custom.client.evaluate(bare)))[1]).toBe(
      "the daemon's DecisionResponse does not echo the request's policy_pack",
    );
    const other = await daemonAnswering((request) => allow({ ...request, session_id: 'someone-else' }));
    expect((await failure(other.client.evaluate(bare)))[1]).toBe(
      "the daemon's DecisionResponse does not echo the request's session_id",
    );
  });

  it("accepts upstream's names for a release-governance request's empty action, target and operation", async () => {
    const evidence = {
      metadata_kind: 'rollout-promotion-execution',
      approval_state: 'approved',
      approval_id: 'a-1',
    };
    const named = (kind: string) => (request: Record<string, unknown>) =>
      allow({
        ...request,
        action_type: 'release_governance_record',
        target: kind,
        requested_operation: 'verify',
      });
    const { client } = await daemonAnswering(named('rollout-promotion-execution'));
    const answer = await client.evaluate({ release_governance: evidence });
    expect([answer.action_type, answer.target, answer.requested_operation]).toEqual([
      'release_governance_record',
      'rollout-promotion-execution',
      'verify',
    ]);
    // Without a kind in the evidence, upstream names the fixed one.
    const unnamed = await daemonAnswering(named('release-governance-record'));
    const { metadata_kind: _, ...withoutKind } = evidence;
    expect((await unnamed.client.evaluate({ release_governance: withoutKind })).target).toBe(
      'release-governance-record',
    );
    // `verify` for any operation (upstream's answer to evidence it finds missing), the kind only for an empty target.
    expect(
      (await client.evaluate({ release_governance: evidence, requested_operation: 'deploy' })).target,
    ).toBe('rollout-promotion-execution');
    expect((await failure(client.evaluate({ release_governance: evidence, target: 'other' })))[1]).toBe(
      "the daemon's DecisionResponse does not echo the request's target",
    );
    // Another kind, or these names for a request that is not about release governance, are not echoes.
    expect((await failure(unnamed.client.evaluate({ release_governance: evidence })))[1]).toBe(
      "the daemon's DecisionResponse does not echo the request's target",
    );
    expect((await failure(client.evaluate({ target: '' })))[1]).toBe(
      "the daemon's DecisionResponse does not echo the request's action_type",
    );
  });

  it('refuses an answer that is not UTF-8 or holds a lone surrogate', async () => {
    const raw =
      (text: Buffer): Behaviour =>
      (frame, socket) => {
        socket.write(
          Buffer.concat([
            Buffer.from(`{"v":1,"id":"${frame.id}","type":"decision","decision":`),
            text,
            Buffer.from('}\n'),
          ]),
        );
      };
    for (const [text, message] of [
      [Buffer.from([0x22, 0xff, 0x22]), 'the daemon sent an unreadable frame: frame is not valid UTF-8'],
      [
        Buffer.from('"\\ud800"'),
        'the daemon sent an unreadable frame: frame holds a lone UTF-16 surrogate (\\ud800-\\udfff escape)',
      ],
    ] as const) {
      const peer = await new ProtocolPeer(raw(text)).start();
      const client = createClient({ socketPath: peer.socketPath, timeoutMs: 2000 });
      cleanup.push(
        () => client.close(),
        () => peer.stop(),
      );
      expect(await failure(client.evaluate(READ_ENV))).toEqual(['protocol_error', message]);
    }
  });
});
