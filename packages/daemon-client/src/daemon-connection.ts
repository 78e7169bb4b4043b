import { connect, type Socket } from 'node:net';
import { DaemonClientError } from './daemon-client-error.js';
import { parseWireJson, WireJsonError } from './wire-json.js';

/**
 * The v1 answer frames, each with the key holding its body (`{"v":1,"id":..,"type":T,<key>:body}`): the key is the
 * type's name but for `approval_list`, whose list is `approvals`.
 */
const RESPONSE_BODY = {
  decision: 'decision',
  health: 'health',
  refusal: 'refusal',
  error: 'error',
  approval: 'approval',
  approval_list: 'approvals',
  recorded: 'recorded',
} as const;

export type ResponseType = keyof typeof RESPONSE_BODY;

export interface ResponseFrame {
  readonly id: string;
  readonly type: ResponseType;
  readonly body: unknown;
}

/** Late answers awaited at most on one connection; beyond, the oldest given-up call's answer counts as unknown. */
const MAX_FORGOTTEN = 4096;

interface Waiter {
  resolve(frame: ResponseFrame): void;
  reject(error: DaemonClientError | UndeliveredFrame): void;
}

/**
 * A frame whose write failed: it never reached the daemon (say, the daemon closed an idle connection just as the
 * frame was written), so it was not decided and may be sent again on a new connection.
 */
export class UndeliveredFrame extends Error {
  readonly failure: DaemonClientError;

  constructor(failure: DaemonClientError) {
    super(failure.message);
    this.failure = failure;
  }
}

/**
 * The daemon's line for a connection it turned away before reading anything (`overloaded`, `shutting_down`; see the
 * daemon's README), as the error to fail the calls on it with; undefined for any other value.
 */
export function connectionRefusal(value: unknown): DaemonClientError | undefined {
  const frame = value as {
    v?: unknown;
    id?: unknown;
    type?: unknown;
    error?: { code?: unknown; message?: unknown };
  };
  const code = frame?.error?.code;
  if (frame?.v !== 1 || frame.id !== null || frame.type !== 'error') return undefined;
  if (code !== 'overloaded' && code !== 'shutting_down') return undefined;
  return new DaemonClientError(
    'daemon_error',
    `the daemon refused the connection: ${code}: ${String(frame.error?.message ?? '')}`,
    { code },
  );
}

/**
 * One persistent connection: frames out, responses matched back to their waiters by id (they may arrive in any
 * order). Any broken promise of the protocol rejects every waiter and ends the connection; the client opens a
 * new one on the next call.
 */
export class DaemonConnection {
  readonly #socket: Socket;
  readonly #waiters = new Map<string, Waiter>();
  readonly #maxFrameBytes: number;
  readonly ready: Promise<void>;
  /** Ids sent but given up (timeout, abort), whose late answers are dropped; the oldest go beyond the bound. */
  readonly #forgotten = new Set<string>();
  /** Bytes of the answer frame being received (kept as bytes: each frame is decoded strictly on its own). */
  #buffer: Buffer = Buffer.alloc(0);
  #dead: DaemonClientError | undefined;
  /** A write failed: the socket is going away, so no further frame is sent on it. */
  #unwritable = false;
  /** Refusal reports awaiting the daemon's answer (see report): they outlive the connection's other calls. */
  readonly #reports = new Map<string, () => void>();
  /** Set when the connection was abandoned: the socket is kept only for the reports, at most until this fires. */
  #ending: NodeJS.Timeout | undefined;
  readonly #onDead: () => void;
  readonly #reportMs: number;

  /** `reportMs`: how long an abandoned connection is kept for the refusal reports of its calls (see abandon). */
  constructor(socketPath: string, maxFrameBytes: number, reportMs: number, onDead: () => void) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#reportMs = reportMs;
    this.#onDead = onDead;
    this.#socket = connect(socketPath);
    this.ready = new Promise((resolve, reject) => {
      const unreachable = (error: NodeJS.ErrnoException) => {
        const unavailable = new DaemonClientError(
          'daemon_unavailable',
          `cannot reach the CAVRA daemon at ${socketPath} (${error.code ?? 'error'})`,
        );
        this.#fail(unavailable);
        onDead();
        reject(unavailable);
      };
      this.#socket.once('error', unreachable);
      this.#socket.once('connect', () => {
        this.#socket.off('error', unreachable);
        resolve();
      });
    });
    this.ready.catch(() => undefined);
    this.#socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    this.#socket.on('error', () => {});
    const gone = () => {
      this.#fail(
        new DaemonClientError('daemon_unavailable', 'the daemon closed the connection before answering'),
      );
      for (const settle of this.#reports.values()) settle();
      onDead();
    };
    // No answer follows the daemon's end of the stream: the connection is dead from then on, not only at 'close'.
    this.#socket.on('end', gone);
    this.#socket.on('close', gone);
  }

  get alive(): boolean {
    return this.#dead === undefined && !this.#unwritable;
  }

  /**
   * Sends one frame and waits for the response with the same id. Rejects with UndeliveredFrame when the frame could
   * not be written, with DaemonClientError for every other failure.
   */
  request(id: string, line: string): Promise<ResponseFrame> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.#waiters.set(id, waiter);
      this.#socket.write(line, (error) => {
        if (!error) return;
        this.#unwritable = true;
        if (this.#waiters.get(id) !== waiter) return;
        this.#waiters.delete(id);
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        reject(
          new UndeliveredFrame(
            new DaemonClientError('daemon_unavailable', `the daemon closed the connection (${code})`),
          ),
        );
      });
    });
  }

  /** Stops waiting for `id` (timeout, abort); a late answer is dropped. */
  forget(id: string): void {
    if (!this.#waiters.delete(id)) return;
    this.#forgotten.add(id);
    if (this.#forgotten.size > MAX_FORGOTTEN)
      this.#forgotten.delete(this.#forgotten.values().next().value as string);
  }

  /**
   * The daemon broke the protocol in an answer (say, an invalid DecisionResponse): every call on it fails, and no new
   * one is sent on it. The socket stays open for at most `reportMs` more, only for the refusal reports of those calls.
   */
  abandon(error: DaemonClientError): void {
    if (this.#ending !== undefined || this.#socket.destroyed) return;
    this.#fail(error);
    this.#onDead();
    this.#ending = setTimeout(() => this.#socket.destroy(), this.#reportMs);
    this.#ending.unref();
    // The calls that failed report from their rejection handlers, which all run before the next turn of the loop.
    setImmediate(() => this.#endIfReported());
  }

  /**
   * Sends a refusal report (frame `id`) and waits, at most `timeoutMs`, for the daemon's answer to it, whatever it is:
   * the report is best effort, and the caller has already refused. Never rejects.
   */
  report(id: string, line: string, timeoutMs: number): Promise<void> {
    if (this.#socket.destroyed || this.#unwritable || !this.#socket.writable) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(), timeoutMs);
      timer.unref();
      const settle = () => {
        clearTimeout(timer);
        this.#reports.delete(id);
        resolve();
        this.#endIfReported();
      };
      this.#reports.set(id, settle);
      this.#socket.write(line, (error) => {
        if (error) settle();
      });
    });
  }

  /** An abandoned connection whose reports are all answered (or given up) is closed at once. */
  #endIfReported(): void {
    if (this.#ending === undefined || this.#reports.size > 0) return;
    clearTimeout(this.#ending);
    this.#socket.destroy();
  }

  close(): void {
    this.#fail(new DaemonClientError('closed', 'the client was closed'));
    this.#socket.end();
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let newline = this.#buffer.indexOf(0x0a);
    while (newline !== -1) {
      const line = this.#buffer.subarray(0, newline);
      this.#buffer = this.#buffer.subarray(newline + 1);
      if (line.toString('latin1').trim() !== '') {
        if (this.#dead) this.#reportAnswer(line);
        else this.#dispatch(line);
      }
      newline = this.#buffer.indexOf(0x0a);
    }
    if (this.#dead) {
      // Nothing but the answers to reports is read any more, and those are short.
      if (this.#buffer.length > this.#maxFrameBytes) this.#socket.destroy();
      return;
    }
    if (this.#buffer.length > this.#maxFrameBytes)
      this.#protocolError('a response frame exceeds the size limit');
  }

  #dispatch(line: Buffer): void {
    let frame: { v?: unknown; id?: unknown; type?: unknown; [key: string]: unknown };
    try {
      frame = parseWireJson(line) as typeof frame;
    } catch (error) {
      if (!(error instanceof WireJsonError)) throw error;
      this.#protocolError(
        error.problem === 'invalid_json'
          ? 'the daemon sent a frame that is not JSON'
          : `the daemon sent an unreadable frame: ${error.message}`,
      );
      return;
    }
    const type = frame?.type;
    if (frame?.v !== 1 || typeof type !== 'string' || !Object.hasOwn(RESPONSE_BODY, type)) {
      this.#protocolError('the daemon sent a frame that is not protocol v1');
      return;
    }
    if (typeof frame.id !== 'string') {
      const refused = connectionRefusal(frame);
      if (refused) {
        // The daemon turned the connection away (too many connections, or stopping): no call on it was decided.
        this.#fail(refused);
        this.#socket.destroy();
        return;
      }
      const error = frame.error as { code?: unknown } | undefined;
      // An error about a frame the daemon could not read: it can only be ours, so it concerns every waiter.
      this.#protocolError(`the daemon could not read a request frame (${JSON.stringify(error?.code)})`);
      return;
    }
    const reported = this.#reports.get(frame.id);
    if (reported) {
      reported();
      return;
    }
    const waiter = this.#waiters.get(frame.id);
    if (!waiter) {
      // A late answer to a call given up is dropped; an answer to an id never sent is a broken daemon.
      if (!this.#forgotten.delete(frame.id)) this.#protocolError('the daemon answered an id it was not sent');
      return;
    }
    this.#waiters.delete(frame.id);
    const known = type as ResponseType;
    waiter.resolve({ id: frame.id, type: known, body: frame[RESPONSE_BODY[known]] });
  }

  /** On a connection no longer trusted with answers: a line that answers a report ends its wait; others are dropped. */
  #reportAnswer(line: Buffer): void {
    let id: unknown;
    try {
      id = (parseWireJson(line) as { id?: unknown } | null)?.id;
    } catch {
      return;
    }
    if (typeof id === 'string') this.#reports.get(id)?.();
  }

  #protocolError(message: string): void {
    this.abandon(new DaemonClientError('protocol_error', message));
  }

  #fail(error: DaemonClientError): void {
    if (this.#dead) return;
    this.#dead = error;
    for (const waiter of this.#waiters.values()) waiter.reject(error);
    this.#waiters.clear();
  }
}
