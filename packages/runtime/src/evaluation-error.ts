/** A request the engine cannot decide: never silently allowed. */
export type EvaluationErrorCode = 'unknown_action_type' | 'unknown_policy_pack';

/** Thrown by Engine.evaluate; `code` is stable, the message names the action type or pack (bounded). */
export class EvaluationError extends Error {
  readonly code: EvaluationErrorCode;

  constructor(code: EvaluationErrorCode, message: string) {
    super(message);
    this.name = 'EvaluationError';
    this.code = code;
  }
}
