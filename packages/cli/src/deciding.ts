import { EvaluationError } from '@cavra/runtime';
import { CliError, EXIT } from './cli-error.js';

// Apart from cli-error.ts, which every command loads: this one loads the engine.

/** Runs a decision; a request the engine cannot decide (EvaluationError, e.g. an unknown action type) is invalid input. */
export function deciding<T>(where: string, decide: () => T): T {
  try {
    return decide();
  } catch (error) {
    if (error instanceof EvaluationError) throw new CliError(EXIT.invalidInput, `${where}: ${error.message}`);
    throw error;
  }
}
