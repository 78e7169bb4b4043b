import { isSafeIdentifier } from '@cavra/contracts/plain';
import { type CallOptions, checkCallOptions, withDeadline } from './call-deadline.js';
import type { ClientSettings } from './client-settings.js';
import { DaemonClientError, type DaemonClientErrorCode, errorFrameError } from './daemon-client-error.js';
import { DaemonConnection, type ResponseFrame, UndeliveredFrame } from './daemon-connection.js';

/**
 * Failures of an evaluate frame already sent that leave the daemon's record saying whatever it decided while the
 * caller gets no decision: the client refused the answer, or stopped waiting for it. (An error frame is the daemon's
 * own refusal, recorded as nothing; a connection that is gone cannot carry a report.)
 */
const REPORTED: ReadonlySet<DaemonClientErrorCode> = new Set(['protocol_error', 'timeout', 'aborted']);

/** The v1 calls of one client over its persistent connection (see v1Calls). */
export interface V1Calls {
  /**
   * Sends one frame and reads its answer with `read`, which throws protocol_error for an answer out of protocol.
   * `refusable`: an evaluate, whose answer the daemon has recorded: when the call fails after the frame was sent with
   * one of REPORTED, the refusal is reported on the same connection before the call fails.
   */
  call<T>(
    frame: Record<string, unknown>,
    options: CallOptions,
    read: (response: ResponseFrame) => T,
    refusable?: boolean,
  ): Promise<T>;
  /** Closes the connection; calls after this fail with `closed`. */
  close(): void;
}

/**
 * The v1 protocol's calls, shared by the full client and the thin one: a connection opened after the trust check
 * (before each new connection: the socket may have been replaced since the last one), frames numbered `c1`, `c2`,
 * ..., the deadline of each call, and the refusal report of an evaluate whose answer was refused.
 */
export function v1Calls(settings: ClientSettings): V1Calls {
  const { socketPath, maxFrameBytes, reportMs, timeoutMs } = settings;
  let connection: DaemonConnection | undefined;
  /** The trust check and connect in progress, shared by the calls that need a connection meanwhile. */
  let opening: Promise<DaemonConnection> | undefined;
  /** The live connection, or a new one once the socket passed the trust check. Calls made meanwhile wait for the same one. */
  const connected = (): Promise<DaemonConnection> => {
    if (connection?.alive) return Promise.resolve(connection);
    opening ??= settings
      .trust()
      .then(() => {
        const fresh = new DaemonConnection(socketPath, maxFrameBytes, reportMs, () => {
          if (connection === fresh) connection = undefined;
        });
        connection = fresh;
        return fresh;
      })
      .finally(() => {
        opening = undefined;
      });
    return opening;
  };
  let nextId = 0;
  let closed = false;

  /**
   * Tells the daemon, on the connection that carried the evaluate frame `evaluateId`, that its answer was refused
   * (`error`), and waits for it to be recorded, at most reportMs. Best effort: never throws.
   */
  const reportRefusal = (
    connection: DaemonConnection,
    evaluateId: string,
    error: DaemonClientError,
    answer: unknown,
  ): Promise<void> => {
    const decisionId = (answer as { decision_id?: unknown } | null | undefined)?.decision_id;
    const refusal = {
      evaluate_id: evaluateId,
      ...(typeof decisionId === 'string' && isSafeIdentifier(decisionId) ? { decision_id: decisionId } : {}),
      code: error.code,
      message: error.message.slice(0, 512),
    };
    const id = `c${++nextId}`;
    return connection.report(id, `${JSON.stringify({ v: 1, id, type: 'refusal', refusal })}\n`, reportMs);
  };

  const call = async <T>(
    frame: Record<string, unknown>,
    call: CallOptions,
    read: (response: ResponseFrame) => T,
    refusable = false,
  ): Promise<T> => {
    if (closed) throw new DaemonClientError('closed', 'the client was closed');
    checkCallOptions(call);
    const id = `c${++nextId}`;
    const line = `${JSON.stringify({ v: 1, id, ...frame })}\n`;
    if (Buffer.byteLength(line) - 1 > maxFrameBytes) {
      throw new DaemonClientError('request_too_large', `request frame exceeds ${maxFrameBytes} bytes`);
    }
    let current: DaemonConnection | undefined;
    let gaveUp = false;
    /** The connection the frame was written to (it may have been decided there), and the answer read, if any. */
    let sentOn: DaemonConnection | undefined;
    let answer: unknown;
    const exchange = async (): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        const used = await connected();
        current = used;
        await used.ready;
        // Timed out or aborted while connecting: the frame is not sent, so the daemon decides nothing.
        if (gaveUp) throw new DaemonClientError('aborted', 'the call was given up before it was sent');
        let response: ResponseFrame;
        try {
          sentOn = used;
          response = await used.request(id, line);
        } catch (error) {
          if (!(error instanceof UndeliveredFrame)) throw error;
          sentOn = undefined;
          // The frame never reached the daemon (it had closed the connection, say as idle, just as this call
          // wrote to it): sending it once more, on a new connection, cannot make a second decision.
          if (attempt > 0) throw error.failure;
          continue;
        }
        try {
          answer = response.body;
          return read(response);
        } catch (error) {
          // A daemon that breaks the protocol is not trusted with the other calls on the connection either.
          if (error instanceof DaemonClientError && error.code === 'protocol_error') used.abandon(error);
          throw error;
        }
      }
    };
    try {
      return await withDeadline(exchange, call, timeoutMs, () => {
        gaveUp = true;
        current?.forget(id);
      });
    } catch (error) {
      if (refusable && sentOn && error instanceof DaemonClientError && REPORTED.has(error.code)) {
        await reportRefusal(sentOn, id, error, answer);
      }
      throw error;
    }
  };

  return {
    call,
    close() {
      closed = true;
      connection?.close();
      connection = undefined;
    },
  };
}

export interface EvaluateOptions extends CallOptions {
  /** Ties the decision to the caller's trace (a plain identifier); the daemon makes one when absent. */
  readonly correlationId?: string;
}

/** The evaluate frame of a request already validated and written as JSON. */
export function evaluateFrame(request: Record<string, unknown>, correlationId: string | undefined) {
  return { type: 'evaluate', request, ...(correlationId ? { correlation_id: correlationId } : {}) };
}

/** The body of an evaluate's answer frame: an error frame is the daemon's refusal, any other frame breaks the protocol. */
export function decisionBody(response: ResponseFrame): unknown {
  if (response.type === 'error') throw errorFrameError(response.body);
  if (response.type !== 'decision')
    throw new DaemonClientError('protocol_error', 'expected a decision frame');
  return response.body;
}
