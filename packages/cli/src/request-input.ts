import { type RuntimeRequest, toRuntimeRequest } from '@cavra/contracts';
import { CliError, EXIT } from './cli-error.js';

/** Fields a request written by hand may leave out, filled as an agent's hook would. */
const DEFAULTS = { session_id: 'cavra-cli', agent_id: 'cavra-cli', actor: 'cavra-cli' } as const;

const OPERATIONS: Readonly<Record<string, string>> = {
  read_file: 'read',
  write_file: 'write',
  git_push: 'push',
  mcp_tool_call: 'call',
};

/**
 * A request as written in a test file, on the command line or in a requests file: the EvaluateRequest JSON in
 * snake_case, strictly validated (an unknown field is an error, so a typo cannot test something else).
 * `action_type` and `target` are enough: `session_id`, `agent_id` and `actor` default to `cavra-cli`, and
 * `requested_operation` to what the action type does (the command itself for `execute_command`).
 * Throws CliError (invalid input) starting with `where`.
 */
export function requestFrom(input: unknown, where: string): RuntimeRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new CliError(EXIT.invalidInput, `${where}: a request must be an object`);
  }
  const fields = input as Record<string, unknown>;
  const given = 'requested_operation' in fields || 'operation' in fields;
  const operation =
    fields.action_type === 'execute_command' ? fields.target : OPERATIONS[String(fields.action_type)];
  try {
    return toRuntimeRequest(
      {
        ...DEFAULTS,
        ...(!given && typeof operation === 'string' ? { requested_operation: operation } : {}),
        ...fields,
      },
      { strict: true },
    );
  } catch (error) {
    throw new CliError(EXIT.invalidInput, `${where}: ${(error as Error).message}`);
  }
}
