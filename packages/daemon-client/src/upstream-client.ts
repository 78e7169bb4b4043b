import { EvaluateRequestCodec } from '@cavra/contracts';
import { checkCallOptions, withDeadline } from './call-deadline.js';
import type { DaemonClient } from './daemon-client.js';
import { DaemonClientError } from './daemon-client-error.js';
import { connectionRefusal } from './daemon-connection.js';
import { checkDecision, type DecisionCheckOptions } from './decision-check.js';
import { exchangeOnce, type OneShot } from './one-shot-exchange.js';

export interface UpstreamClientSettings {
  readonly timeoutMs: number;
  readonly maxFrameBytes: number;
  /** Refuses an untrusted socket (checkSocketTrust), before every connection. */
  readonly trust: () => Promise<void>;
  readonly decisionOptions: DecisionCheckOptions;
}

/**
 * A client speaking upstream CAVRA's transport: every evaluate is a connection of its own carrying one bare
 * EvaluateRequest (JSON and a newline) and reading one bare DecisionResponse. The answer is checked as strictly as
 * in v1, except that missing fields read as empty (upstream writes proto3 JSON without empty fields).
 */
export function upstreamClient(socketPath: string, settings: UpstreamClientSettings): DaemonClient {
  let closed = false;
  const open = new Set<OneShot>();
  /** A v1 call: the upstream protocol has evaluate only. */
  const unsupported = (what: string): never => {
    if (closed) throw new DaemonClientError('closed', 'the client was closed');
    throw new DaemonClientError(
      'not_supported',
      `the upstream protocol has no ${what} call: an upstream CAVRA daemon reads every connection as an EvaluateRequest`,
    );
  };
  return {
    async evaluate(request, evaluateOptions = {}) {
      if (closed) throw new DaemonClientError('closed', 'the client was closed');
      checkCallOptions(evaluateOptions);
      if (evaluateOptions.correlationId !== undefined) {
        throw new DaemonClientError(
          'not_supported',
          'the upstream protocol has no correlation id: the request carries none, so the daemon makes its own',
        );
      }
      const message = EvaluateRequestCodec.fromJSON(request, { strict: true });
      const line = `${JSON.stringify(EvaluateRequestCodec.toJSON(message))}\n`;
      if (Buffer.byteLength(line) - 1 > settings.maxFrameBytes) {
        throw new DaemonClientError('request_too_large', `request exceeds ${settings.maxFrameBytes} bytes`);
      }
      let exchange: OneShot | undefined;
      let gaveUp = false;
      return withDeadline(
        async () => {
          await settings.trust();
          if (gaveUp) throw new DaemonClientError('aborted', 'the call was given up before it was sent');
          exchange = exchangeOnce(socketPath, line, settings.maxFrameBytes);
          open.add(exchange);
          const answer = await exchange.answer;
          // Our daemon's line for a connection it turned away reads as a block to an upstream client; here, as v1.
          const refused = connectionRefusal(answer);
          if (refused) throw refused;
          return checkDecision(answer, message, settings.decisionOptions);
        },
        evaluateOptions,
        settings.timeoutMs,
        () => {
          gaveUp = true;
          exchange?.cancel();
          if (exchange) open.delete(exchange);
        },
      );
    },
    async health() {
      return unsupported('health');
    },
    async listApprovals() {
      return unsupported('approval');
    },
    async showApproval() {
      return unsupported('approval');
    },
    async reviewApproval() {
      return unsupported('approval');
    },
    async reportActionOutcome() {
      return unsupported('action outcome');
    },
    async close() {
      closed = true;
      for (const exchange of open) exchange.cancel();
      open.clear();
    },
  };
}
