import { connect, type Socket } from 'node:net';

// biome-ignore lint/suspicious/noExplicitAny: tests read response frames of any shape, field by field.
export type Frame = Record<string, any>;

/** A bare socket speaking newline-delimited JSON, for driving the daemon byte by byte. */
export class RawClient {
  readonly socket: Socket;
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string | undefined) => void)[] = [];
  #buffer = '';
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      for (let i = this.#buffer.indexOf('\n'); i !== -1; i = this.#buffer.indexOf('\n')) {
        this.#deliver(this.#buffer.slice(0, i));
        this.#buffer = this.#buffer.slice(i + 1);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    });
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.write(typeof frame === 'string' ? frame : `${JSON.stringify(frame)}\n`);
  }

  /** The next response line parsed, or undefined when the daemon closed the connection. */
  next(): Promise<Frame | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line));
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) =>
      this.#waiters.push((text) => resolve(text === undefined ? undefined : JSON.parse(text))),
    );
  }

  #deliver(line: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(line);
    else this.#lines.push(line);
  }
}

export const REQUEST = {
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'read_file',
  target: '.env',
  requested_operation: 'read',
  policy_pack: 'cavra-ai-agent-baseline',
};

export const evaluate = (id: string, request: Record<string, unknown> = REQUEST) => ({
  v: 1,
  id,
  type: 'evaluate',
  request,
});
