import { ContractValidationError } from '@cavra/contracts';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type DaemonClient, DaemonClientError } from '../src/index.js';
import {
  answer,
  type Behaviour,
  decisionFor,
  type Frame,
  ProtocolPeer,
  removePeerDirs,
} from './support/protocol-peer.js';

afterAll(removePeerDirs);

const REQUEST = {
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'read_file',
  target: 'README.md',
  policy_pack: 'cavra-ai-agent-baseline',
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

async function setup(behaviour: Behaviour = answer, options: { timeoutMs?: number } = {}) {
  const peer = await new ProtocolPeer(behaviour).start();
  const client = createClient({ socketPath: peer.socketPath, timeoutMs: options.timeoutMs ?? 2000 });
  cleanup.push(
    () => client.close(),
    () => peer.stop(),
  );
  return { peer, client };
}

async function failure(promise: Promise<unknown>): Promise<[string, string | undefined, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DaemonClientError) return [error.code, error.daemonCode, error.message];
    throw error;
  }
  throw new Error('expected a DaemonClientError');
}

describe('createClient', () => {
  it('sends a v1 evaluate frame and returns the typed decision', async () => {
    const { peer, client } = await setup();
    const decision = await client.evaluate(REQUEST, { correlationId: 'trace-1' });
    expect(decision.decision).toBe('allow');
    expect(decision.session_id).toBe('session-1');
    expect(peer.frames).toEqual([
      { v: 1, id: 'c1', type: 'evaluate', request: REQUEST, correlation_id: 'trace-1' },
    ]);
  });

  it('reuses one connection and matches out-of-order answers by id', async () => {
    const held: [Frame, typeof answer extends (...a: infer A) => void ? A[1] : never][] = [];
    const { peer, client } = await setup((frame, socket) => {
      held.push([frame, socket]);
      if (held.length === 3) {
        for (const [f, s] of held.reverse()) answer(f, s, peer);
        peer.behaviour = answer;
      }
    });
    const results = await Promise.all(
      ['a', 'b', 'c'].map((session) => client.evaluate({ ...REQUEST, session_id: session })),
    );
    expect(results.map((r) => r.session_id)).toEqual(['a', 'b', 'c']);
    await client.evaluate(REQUEST);
    expect(peer.connections).toBe(1);
  });

  it('reports a daemon that is not there, and reconnects once it is back', async () => {
    const { peer, client } = await setup();
    await peer.stop();
    expect((await failure(client.evaluate(REQUEST)))[0]).toBe('daemon_unavailable');
    const again = await new ProtocolPeer(answer, peer.socketPath).start();
    cleanup.push(() => again.stop());
    expect((await client.evaluate(REQUEST)).decision).toBe('allow');
  });

  it('sends again, on a new connection, calls written just as the daemon closed the idle connection', async () => {
    const { peer, client } = await setup();
    expect((await client.evaluate(REQUEST)).decision).toBe('allow');
    peer.dropConnections(); // the client has not seen the close yet when it writes the next calls
    const calls = [client.evaluate({ ...REQUEST, session_id: 'a' }), client.health()];
    const [decision, health] = await Promise.all(calls);
    expect([
      (decision as { session_id: string }).session_id,
      (health as { version: string }).version,
    ]).toEqual(['a', '0.1.0']);
    expect(peer.connections).toBe(2);
    expect(peer.frames.map((frame) => frame.id)).toEqual(['c1', 'c2', 'c3']);
  });

  it('sends nothing for a call aborted or timed out while connecting', async () => {
    const { peer, client } = await setup();
    const controller = new AbortController();
    const aborted = client.evaluate(REQUEST, { signal: controller.signal });
    controller.abort();
    expect(await failure(aborted)).toEqual(['aborted', undefined, 'the call was aborted']);
    expect((await client.health()).version).toBe('0.1.0');
    expect(peer.frames.map((frame) => [frame.id, frame.type])).toEqual([['c2', 'health']]);
  });

  it('fails in-flight calls when the daemon dies before answering', async () => {
    const { client } = await setup((_frame, socket) => socket.destroy());
    expect(await failure(client.evaluate(REQUEST))).toEqual([
      'daemon_unavailable',
      undefined,
      'the daemon closed the connection before answering',
    ]);
  });

  it('times out, drops the late answer and keeps the connection usable', async () => {
    let first = true;
    const { peer, client } = await setup((frame, socket) => {
      if (first) {
        first = false;
        setTimeout(() => answer(frame, socket, peer), 300);
      } else answer(frame, socket, peer);
    });
    expect(await failure(client.evaluate(REQUEST, { timeoutMs: 100 }))).toEqual([
      'timeout',
      undefined,
      'no answer from the daemon within 100 ms',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await client.evaluate(REQUEST)).decision).toBe('allow');
    expect(peer.connections).toBe(1);
  });

  it('honours an AbortSignal before sending and in flight', async () => {
    const { peer, client } = await setup(() => {});
    const aborted = AbortSignal.abort();
    expect(await failure(client.evaluate(REQUEST, { signal: aborted }))).toEqual([
      'aborted',
      undefined,
      'the call was aborted before it was sent',
    ]);
    expect(peer.frames).toHaveLength(0);
    const controller = new AbortController();
    const pending = client.evaluate(REQUEST, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await failure(pending)).toEqual(['aborted', undefined, 'the call was aborted']);
  });

  it('turns error frames into daemon_error with the code and issues', async () => {
    const issues = [{ path: 'action_type', code: 'unknown_field', message: 'x' }];
    const { client } = await setup((frame, socket) =>
      socket.write(
        `${JSON.stringify({ v: 1, id: frame.id, type: 'error', error: { code: 'invalid_request', message: 'bad', issues } })}\n`,
      ),
    );
    try {
      await client.evaluate(REQUEST);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DaemonClientError);
      expect((error as DaemonClientError).code).toBe('daemon_error');
      expect((error as DaemonClientError).daemonCode).toBe('invalid_request');
      expect((error as DaemonClientError).issues).toEqual(issues);
    }
  });

  it.each([
    ['garbage', 'not json\n', 'the daemon sent a frame that is not JSON'],
    [
      'a frame of another protocol',
      '{"v":2,"id":"c1","type":"decision"}\n',
      'the daemon sent a frame that is not protocol v1',
    ],
    [
      'an unknown decision',
      `${JSON.stringify({ v: 1, id: 'c1', type: 'decision', decision: decisionFor({}, 'maybe') })}\n`,
      "the daemon's DecisionResponse breaks the contract: ",
    ],
    [
      'an answer to an id never sent',
      `${JSON.stringify({ v: 1, id: 'zz', type: 'decision', decision: decisionFor({}) })}\n`,
      'the daemon answered an id it was not sent',
    ],
    [
      'an unreadable-frame error',
      '{"v":1,"id":null,"type":"error","error":{"code":"invalid_json"}}\n',
      'the daemon could not read a request frame ("invalid_json")',
    ],
  ])('reports %s as a protocol error', async (_name, line, message) => {
    const { client } = await setup((_frame, socket) => socket.write(line));
    const [code, , text] = await failure(client.evaluate(REQUEST));
    expect(code).toBe('protocol_error');
    expect(text.startsWith(message)).toBe(true);
  });

  it('closes the connection on an invalid DecisionResponse, failing the other calls in flight', async () => {
    const { peer, client } = await setup((frame, socket) => {
      if (frame.type === 'evaluate')
        socket.write(
          `${JSON.stringify({ v: 1, id: frame.id, type: 'decision', decision: decisionFor({}, 'maybe') })}\n`,
        );
    });
    const health = failure(client.health());
    const [code, , message] = await failure(client.evaluate(REQUEST));
    expect([code, message.startsWith("the daemon's DecisionResponse breaks the contract: ")]).toEqual([
      'protocol_error',
      true,
    ]);
    expect(await health).toEqual(['protocol_error', undefined, message]);
    peer.behaviour = answer;
    expect((await client.evaluate(REQUEST)).decision).toBe('allow');
    expect(peer.connections).toBe(2);
  });

  it('reports a connection the daemon turned away as daemon_error, and opens a new one on the next call', async () => {
    const { peer, client } = await setup((_frame, socket) =>
      socket.end(
        '{"v":1,"id":null,"type":"error","error":{"code":"overloaded","message":"too many connections"}}\n',
      ),
    );
    const calls = [client.evaluate(REQUEST), client.health()];
    expect(await Promise.all(calls.map(failure))).toEqual([
      ['daemon_error', 'overloaded', 'the daemon refused the connection: overloaded: too many connections'],
      ['daemon_error', 'overloaded', 'the daemon refused the connection: overloaded: too many connections'],
    ]);
    peer.behaviour = answer;
    expect((await client.evaluate(REQUEST)).decision).toBe('allow');
    expect(peer.connections).toBe(2);
  });

  it('refuses invalid and oversize requests before sending them', async () => {
    const { peer, client } = await setup();
    await expect(client.evaluate({ ...REQUEST, bogus: 1 } as never)).rejects.toBeInstanceOf(
      ContractValidationError,
    );
    await expect(
      client.evaluate({ ...REQUEST, release_governance: { failed_delivery_count: -1 } }),
    ).rejects.toMatchObject({
      issues: [
        expect.objectContaining({ path: 'release_governance.failed_delivery_count', code: 'negative_count' }),
      ],
    });
    const small = createClient({ socketPath: peer.socketPath, maxFrameBytes: 2048 });
    cleanup.push(() => small.close());
    expect(await failure(small.evaluate({ ...REQUEST, target: 'x'.repeat(4000) }))).toEqual([
      'request_too_large',
      undefined,
      'request frame exceeds 2048 bytes',
    ]);
    expect(peer.frames).toHaveLength(0);
  });

  it('refuses options that would time every call out at once or never', async () => {
    const { peer, client } = await setup();
    const socketPath = peer.socketPath;
    expect(() => createClient({ socketPath: '' })).toThrow(
      new TypeError('socketPath must be a non-empty string'),
    );
    expect(() => createClient({ socketPath, timeoutMs: 0 })).toThrow(
      new TypeError('timeoutMs must be a positive integer, got 0'),
    );
    expect(() => createClient({ socketPath, timeoutMs: -5 })).toThrow(
      new TypeError('timeoutMs must be a positive integer, got -5'),
    );
    expect(() => createClient({ socketPath, maxFrameBytes: 1.5 })).toThrow(
      new TypeError('maxFrameBytes must be a positive integer, got 1.5'),
    );
    await expect(client.evaluate(REQUEST, { timeoutMs: Number.NaN })).rejects.toThrow(
      new TypeError('timeoutMs must be a positive integer, got NaN'),
    );
    expect(peer.frames).toHaveLength(0);
  });

  it('answers health and refuses calls after close', async () => {
    const { client } = await setup();
    expect((await client.health()).version).toBe('0.1.0');
    await client.close();
    expect(await failure(client.evaluate(REQUEST))).toEqual(['closed', undefined, 'the client was closed']);
  });
});

export type { DaemonClient };

describe('refusals reported to the daemon', () => {
  /** Answers evaluate frames with `decide`, and a refusal frame as our daemon does once it recorded it. */
  const recording =
    (decide: Behaviour): Behaviour =>
    (frame, socket, peer) => {
      if (frame.type !== 'refusal') return decide(frame, socket, peer);
      socket.write(
        `${JSON.stringify({ v: 1, id: frame.id, type: 'refusal', refusal: { evidence_ref: 'r' } })}\n`,
      );
    };
  const refusals = (peer: ProtocolPeer) => peer.frames.filter((frame) => frame.type === 'refusal');

  it('reports a refused answer on the same connection, with the decision id, before the call fails', async () => {
    const { peer, client } = await setup(
      recording((frame, socket) =>
        socket.write(
          `${JSON.stringify({ v: 1, id: frame.id, type: 'decision', decision: { ...decisionFor(frame.request), target: 'other' } })}\n`,
        ),
      ),
    );
    const message = "the daemon's DecisionResponse does not echo the request's target";
    expect(await failure(client.evaluate(REQUEST))).toEqual(['protocol_error', undefined, message]);
    expect(refusals(peer)).toEqual([
      {
        v: 1,
        id: 'c2',
        type: 'refusal',
        refusal: { evaluate_id: 'c1', decision_id: 'd-1', code: 'protocol_error', message },
      },
    ]);
    expect(peer.connections).toBe(1);
  });

  it('reports a call that timed out or was aborted after it was sent, and never one that was not sent', async () => {
    const { peer, client } = await setup(recording(() => {}));
    expect((await failure(client.evaluate(REQUEST, { timeoutMs: 50 })))[0]).toBe('timeout');
    const controller = new AbortController();
    const pending = client.evaluate(REQUEST, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect((await failure(pending))[0]).toBe('aborted');
    expect((await failure(client.evaluate(REQUEST, { signal: AbortSignal.abort() })))[0]).toBe('aborted');
    expect(refusals(peer).map((frame) => (frame as unknown as { refusal: unknown }).refusal)).toEqual([
      { evaluate_id: 'c1', code: 'timeout', message: 'no answer from the daemon within 50 ms' },
      { evaluate_id: 'c3', code: 'aborted', message: 'the call was aborted' },
    ]);
  });

  it('reports the calls in flight when the daemon breaks the framing, and waits for no answer longer than its bound', async () => {
    const peer = await new ProtocolPeer((frame, socket) => {
      if (frame.type === 'evaluate' && frame.id === 'c2') socket.write('garbage\n');
    }).start();
    const client = createClient({ socketPath: peer.socketPath, refusalReportTimeoutMs: 20 });
    cleanup.push(
      () => client.close(),
      () => peer.stop(),
    );
    const calls = [client.evaluate(REQUEST), client.evaluate(REQUEST)];
    for (const call of calls) {
      expect(await failure(call)).toEqual([
        'protocol_error',
        undefined,
        'the daemon sent a frame that is not JSON',
      ]);
    }
    // The calls failed once their reports went unanswered for 20 ms; the peer, in this process, reads the reports
    // when its turn comes, which on a loaded machine can be after that.
    await vi.waitFor(
      () =>
        expect(
          refusals(peer)
            .map((frame) => (frame as unknown as { refusal: { evaluate_id: string } }).refusal.evaluate_id)
            .sort(),
        ).toEqual(['c1', 'c2']),
      { timeout: 10_000 },
    );
    expect(() => createClient({ socketPath: peer.socketPath, refusalReportTimeoutMs: 0 })).toThrow(
      'refusalReportTimeoutMs must be a positive integer, got 0',
    );
  });
});
