import { expect } from 'vitest';
import { type ContractIssue, ContractValidationError } from '../../src/index.js';

/** The issues of the ContractValidationError that `fn` throws; fails the test when it throws nothing or another error. */
export function issuesOf(fn: () => unknown): readonly ContractIssue[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractValidationError);
    return (error as ContractValidationError).issues;
  }
  throw new Error('expected a ContractValidationError');
}
