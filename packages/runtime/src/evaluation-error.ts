import { shareInstanceof } from '@cavra/contracts';

/** A request the engine cannot decide: never silently allowed. (An unknown action type is decided: approval.) */
export type EvaluationErrorCode = 'unknown_policy_pack';

/** Thrown by Engine.evaluate; `code` is stable, the message names the pack (bounded). */
export class EvaluationError extends Error {
  readonly code: EvaluationErrorCode;

  constructor(code: EvaluationErrorCode, message: string) {
    super(message);
    this.name = 'EvaluationError';
    this.code = code;
  }
}
shareInstanceof(EvaluationError, '@cavra/runtime.EvaluationError');
