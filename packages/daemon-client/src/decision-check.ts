import { type DecisionResponse, DecisionResponseCodec, type EvaluateRequest } from '@cavra/contracts';
import { checkAnswer, type DecisionCheckOptions } from './decision-answer.js';

export { DEFAULT_POLICY_PACK, type DecisionCheckOptions } from './decision-answer.js';

/**
 * Accepts a daemon's answer as the decision for `request` only when it is one (see checkAnswer for every rule), and
 * returns it as the contract's message. Anything else is a `protocol_error`, never a decision.
 */
export function checkDecision(
  json: unknown,
  request: EvaluateRequest,
  options: DecisionCheckOptions,
): DecisionResponse {
  return checkAnswer(json, request, options, (answer) =>
    DecisionResponseCodec.fromJSON(answer, { strict: true }),
  );
}
