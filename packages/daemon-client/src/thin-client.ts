import {
  type EvaluateRequest,
  type EvaluateRequestInit,
  messageToJSON,
  type PlainDecisionResponse,
  plainMessage,
} from '@cavra/contracts/plain';
import { clientSettings, type DaemonClientOptions } from './client-settings.js';
import { checkAnswer } from './decision-answer.js';
import { decisionBody, type EvaluateOptions, evaluateFrame, v1Calls } from './v1-calls.js';

/** The options of createClient but the protocol: the thin client speaks v1 only. */
export type ThinClientOptions = Omit<DaemonClientOptions, 'protocol'>;

/** A client with `evaluate` alone, for a process that asks once and exits (a hook). */
export interface ThinClient {
  /**
   * As DaemonClient's evaluate, the same request validation, frame, answer checks and errors, but the decision comes
   * back as a plain object (no protobufjs message).
   */
  evaluate(request: EvaluateRequestInit, options?: EvaluateOptions): Promise<PlainDecisionResponse>;
  close(): Promise<void>;
}

/**
 * The v1 client's evaluate without protobufjs and the contract's generated classes, whose loading is most of a
 * short-lived process's start: the request and the answer are checked by the contract's own validation on plain
 * objects (`@cavra/contracts/plain`), with the same rules and errors as createClient, over the same connection code.
 */
export function createThinClient(options: ThinClientOptions): ThinClient {
  const settings = clientSettings({ ...options, protocol: 'v1' });
  const decisionOptions = { complete: true, defaultPolicyPack: options.defaultPolicyPack };
  const { call, close } = v1Calls(settings);
  return {
    async evaluate(request, evaluateOptions = {}) {
      // Validate here, so a bad request fails with the contract's field-named issues and never travels.
      const message = plainMessage('EvaluateRequest', request, { strict: true });
      return call(
        evaluateFrame(messageToJSON('EvaluateRequest', message, false), evaluateOptions.correlationId),
        evaluateOptions,
        (response) =>
          checkAnswer(
            decisionBody(response),
            // The echo check reads each field with `?? ''`: the plain request lacks the fields left at their default.
            message as unknown as EvaluateRequest,
            decisionOptions,
            (answer) => plainMessage('DecisionResponse', answer, { strict: true }) as PlainDecisionResponse,
          ),
        true,
      );
    },
    async close() {
      close();
    },
  };
}
