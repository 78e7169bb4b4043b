import { ContractValidationError } from './contract-issue.js';
import type { MessageName } from './descriptor.js';
import type { DecisionResponse } from './messages.js';
import { type ValidateOptions, validateAll } from './validate.js';

/**
 * A message as the plain object the contract validates it into (snake_case keys, legacy aliases resolved), without
 * building a protobufjs message: the same validation and the same ContractValidationError as the codecs' fromJSON.
 */
export function plainMessage(
  name: MessageName,
  value: unknown,
  options: ValidateOptions = {},
): Record<string, unknown> {
  const result = validateAll(name, value, options);
  if (!result.ok) throw new ContractValidationError(name, result.errors);
  return result.normalized;
}

/** A DecisionResponse's fields as a plain object (what `plainMessage('DecisionResponse', ...)` of a complete answer holds). */
export type PlainDecisionResponse = Omit<DecisionResponse, 'toJSON'>;
