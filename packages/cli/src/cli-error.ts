import { type Decision, shareInstanceof } from '@cavra/contracts';

/**
 * Exit codes of `cavra`, the same for every command: what failed is readable from the code alone.
 * - 0: done, every check passed
 * - 1: a check failed: lint findings, failing tests, a signature that does not verify, changes with --fail-on-change
 * - 2: usage: unknown command or option, missing argument
 * - 3: a policy pack is invalid (schema, parent, unreadable, or unsigned where signatures are required)
 * - 4: another input is invalid: a test file, a request, an evidence log, a key file
 */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, invalidPack: 3, invalidInput: 4 });

/**
 * Exit codes of `cavra eval --exit-code`: the decision, readable by a script without parsing output. Codes 2 to 4
 * keep their meaning (usage, invalid pack, invalid input), so a decision is never taken for an error.
 */
export const DECISION_EXIT: Readonly<Record<Decision, number>> = Object.freeze({
  allow: 0,
  block: 1,
  require_approval: 5,
  warn: 6,
  audit_only: 7,
  allow_with_attestation: 8,
});

/** An error that ends the command with its exit code; the message names the file and what is wrong. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(exitCode: number, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
shareInstanceof(CliError, '@cavra/cli.CliError');
