import { shareInstanceof } from '@cavra/contracts/plain';

/**
 * Why a command CAVRA allowed cannot run confined; every one of these ends in a deny, never in an unconfined run:
 * - `sandbox_unavailable`: the sandbox cannot start here (unsupported platform, or bubblewrap, socat or ripgrep
 *   missing); the message names the install command;
 * - `agent_cannot_confine`: the agent's hook cannot replace the command it runs (Cursor's `beforeShellExecution`);
 * - `no_working_tree`: neither the hook's options nor the payload name the tree the command may write;
 * - `tree_too_large`: the working tree has more entries than the hook looks through for protected paths;
 * - `no_sandbox_section`: the pack given for confinement has no `sandbox` section with `confine_commands: true`.
 */
export type ConfinementErrorCode =
  | 'sandbox_unavailable'
  | 'agent_cannot_confine'
  | 'no_working_tree'
  | 'tree_too_large'
  | 'no_sandbox_section';

/** A command cannot be run confined. The message says why, in words fit for the agent and its user. */
export class ConfinementError extends Error {
  readonly code: ConfinementErrorCode;

  constructor(code: ConfinementErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfinementError';
    this.code = code;
  }
}
shareInstanceof(ConfinementError, '@cavra/agent-hooks.ConfinementError');
