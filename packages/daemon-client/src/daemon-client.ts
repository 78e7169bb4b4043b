import {
  ContractValidationError,
  type DecisionResponse,
  DecisionResponseCodec,
  EvaluateRequestCodec,
  type EvaluateRequestInit,
} from '@cavra/contracts';
import { DaemonClientError, type DaemonIssue } from './daemon-client-error.js';
import { DaemonConnection, type ResponseFrame, UndeliveredFrame } from './daemon-connection.js';
import type { HealthReport } from './health-report.js';

export interface DaemonClientOptions {
  readonly socketPath: string;
  /** Per-call timeout; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Largest frame sent or accepted; default 1 MiB, the daemon's default. */
  readonly maxFrameBytes?: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface EvaluateOptions extends CallOptions {
  /** Ties the decision to the caller's trace (a plain identifier); the daemon makes one when absent. */
  readonly correlationId?: string;
}

export interface DaemonClient {
  /**
   * Asks the daemon for a decision. Resolves with the validated DecisionResponse, whatever it decides; throws
   * DaemonClientError when no decision was obtained (and ContractValidationError for a request that is invalid
   * before it is sent). Never makes a decision up.
   */
  evaluate(request: EvaluateRequestInit, options?: EvaluateOptions): Promise<DecisionResponse>;
  health(options?: CallOptions): Promise<HealthReport>;
  /** Closes the connection; calls after this fail with `closed`. */
  close(): Promise<void>;
}

export function createClient(options: DaemonClientOptions): DaemonClient {
  if (typeof options.socketPath !== 'string' || options.socketPath === '') {
    throw new TypeError('socketPath must be a non-empty string');
  }
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 5000);
  const maxFrameBytes = positiveInteger('maxFrameBytes', options.maxFrameBytes ?? 1024 * 1024);
  let connection: DaemonConnection | undefined;
  let nextId = 0;
  let closed = false;

  /** Sends one frame and reads its answer with `read`, which throws protocol_error for an answer out of protocol. */
  const call = async <T>(
    frame: Record<string, unknown>,
    call: CallOptions,
    read: (response: ResponseFrame) => T,
  ): Promise<T> => {
    if (closed) throw new DaemonClientError('closed', 'the client was closed');
    if (call.timeoutMs !== undefined) positiveInteger('timeoutMs', call.timeoutMs);
    const signal = call.signal;
    if (signal?.aborted) throw new DaemonClientError('aborted', 'the call was aborted before it was sent');
    const id = `c${++nextId}`;
    const line = `${JSON.stringify({ v: 1, id, ...frame })}\n`;
    if (Buffer.byteLength(line) - 1 > maxFrameBytes) {
      throw new DaemonClientError('request_too_large', `request frame exceeds ${maxFrameBytes} bytes`);
    }
    const open = (): DaemonConnection => {
      if (!connection?.alive) {
        const fresh = new DaemonConnection(options.socketPath, maxFrameBytes, () => {
          if (connection === fresh) connection = undefined;
        });
        connection = fresh;
      }
      return connection;
    };
    let current: DaemonConnection | undefined;
    let gaveUp = false;
    const exchange = async (): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        const used = open();
        current = used;
        await used.ready;
        // Timed out or aborted while connecting: the frame is not sent, so the daemon decides nothing.
        if (gaveUp) throw new DaemonClientError('aborted', 'the call was given up before it was sent');
        let response: ResponseFrame;
        try {
          response = await used.request(id, line);
        } catch (error) {
          if (!(error instanceof UndeliveredFrame)) throw error;
          // The frame never reached the daemon (it had closed the connection, say as idle, just as this call
          // wrote to it): sending it once more, on a new connection, cannot make a second decision.
          if (attempt > 0) throw error.failure;
          continue;
        }
        try {
          return read(response);
        } catch (error) {
          // A daemon that breaks the protocol is not trusted with the other calls on the connection either.
          if (error instanceof DaemonClientError && error.code === 'protocol_error') used.abandon(error);
          throw error;
        }
      }
    };
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        exchange(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new DaemonClientError(
                  'timeout',
                  `no answer from the daemon within ${call.timeoutMs ?? timeoutMs} ms`,
                ),
              ),
            call.timeoutMs ?? timeoutMs,
          );
          onAbort = () => reject(new DaemonClientError('aborted', 'the call was aborted'));
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      gaveUp = true;
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      current?.forget(id);
    }
  };

  const daemonError = (body: unknown): DaemonClientError => {
    const error = body as { code?: unknown; message?: unknown; issues?: DaemonIssue[] };
    const code = typeof error?.code === 'string' ? error.code : 'unknown';
    return new DaemonClientError(
      'daemon_error',
      `the daemon refused the request: ${code}: ${String(error?.message ?? '')}`,
      {
        code,
        ...(Array.isArray(error?.issues) ? { issues: error.issues } : {}),
      },
    );
  };

  return {
    async evaluate(request, evaluateOptions = {}) {
      // Validate here, so a bad request fails with the contract's field-named issues and never travels.
      const json = EvaluateRequestCodec.toJSON(EvaluateRequestCodec.fromJSON(request, { strict: true }));
      return call(
        {
          type: 'evaluate',
          request: json,
          ...(evaluateOptions.correlationId ? { correlation_id: evaluateOptions.correlationId } : {}),
        },
        evaluateOptions,
        (response) => {
          if (response.type === 'error') throw daemonError(response.body);
          if (response.type !== 'decision')
            throw new DaemonClientError('protocol_error', 'expected a decision frame');
          try {
            return DecisionResponseCodec.fromJSON(response.body);
          } catch (error) {
            if (error instanceof ContractValidationError) {
              throw new DaemonClientError(
                'protocol_error',
                `the daemon sent an invalid DecisionResponse: ${error.message}`,
              );
            }
            throw error;
          }
        },
      );
    },
    async health(callOptions = {}) {
      return call({ type: 'health' }, callOptions, (response) => {
        if (response.type === 'error') throw daemonError(response.body);
        if (response.type !== 'health' || typeof response.body !== 'object' || response.body === null) {
          throw new DaemonClientError('protocol_error', 'expected a health frame');
        }
        return response.body as HealthReport;
      });
    },
    async close() {
      closed = true;
      connection?.close();
      connection = undefined;
    },
  };
}

/** A 0, negative or fractional bound would time every call out at once or never: refuse it where it is set. */
function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
