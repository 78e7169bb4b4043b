import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Frame = {
  v: number;
  id: string;
  type: string;
  request?: Record<string, unknown>;
  correlation_id?: string;
};
export type Behaviour = (frame: Frame, socket: Socket, peer: ProtocolPeer) => void;

const dirs = new Set<string>();

/** A fresh socket path in a temp dir of its own, removed by `removePeerDirs`. */
function freshSocketPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cavra-peer-'));
  dirs.add(dir);
  return join(dir, 'd.sock');
}

/** Removes the temp dirs of every peer made so far (after they are stopped). */
export async function removePeerDirs(): Promise<void> {
  await Promise.all([...dirs].map((dir) => rm(dir, { recursive: true, force: true })));
  dirs.clear();
}

/** A decision for a request, as a daemon would send it (every field). */
export function decisionFor(
  request: Record<string, unknown> = {},
  decision = 'allow',
): Record<string, unknown> {
  return {
    decision_id: 'd-1',
    session_id: request.session_id ?? '',
    agent_id: request.agent_id ?? '',
    actor: request.actor ?? '',
    action_type: request.action_type ?? '',
    target: request.target ?? '',
    requested_operation: request.requested_operation ?? '',
    policy_pack: request.policy_pack ?? '',
    policy_id: 'cavra-ai-agent-baseline',
    rule_id: 'filesystem.read_default',
    decision,
    severity: 'info',
    reason: 'ok',
    evidence_refs: [],
    approver_group: '',
    timestamp: '2026-11-25T10:00:00Z',
    correlation_id: 'corr-1',
  };
}

export const answer: Behaviour = (frame, socket) => {
  const line =
    frame.type === 'health'
      ? { v: 1, id: frame.id, type: 'health', health: { version: '0.1.0', policy_digest: 'sha256:x' } }
      : { v: 1, id: frame.id, type: 'decision', decision: decisionFor(frame.request) };
  socket.write(`${JSON.stringify(line)}\n`);
};

/**
 * A real Unix-socket server speaking the daemon protocol v1 with scripted behaviour: the other side of the wire
 * for client tests, so every failure mode of a daemon can be produced on demand.
 */
export class ProtocolPeer {
  readonly socketPath: string;
  connections = 0;
  frames: Frame[] = [];
  behaviour: Behaviour;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(behaviour: Behaviour = answer, socketPath = freshSocketPath()) {
    this.behaviour = behaviour;
    this.socketPath = socketPath;
  }

  async start(): Promise<this> {
    this.#server = createServer((socket) => {
      this.connections += 1;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
          const frame = JSON.parse(buffer.slice(0, i)) as Frame;
          buffer = buffer.slice(i + 1);
          this.frames.push(frame);
          this.behaviour(frame, socket, this);
        }
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(this.socketPath, resolve));
    return this;
  }

  /** Closes every connection from this side, as the daemon's idle timeout does, and keeps listening. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
