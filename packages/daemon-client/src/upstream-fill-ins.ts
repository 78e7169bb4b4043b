import type { EvaluateRequest } from '@cavra/contracts';

/** What the fields of one request may come back as besides their own value: when sent empty, and whatever was sent. */
export interface EchoAllowance {
  readonly ifEmpty: Partial<Record<'action_type' | 'target' | 'requested_operation', readonly string[]>>;
  readonly always: Partial<Record<'action_type' | 'target' | 'requested_operation', readonly string[]>>;
}

/**
 * What upstream CAVRA's Go daemon answers for the target and operation of each action type, beside the values sent.
 * Its daemon request (go/cavra-runtime/enforcement/v1/contracts.go, EvaluateRequest) has no `operation`, `server`,
 * `tool` or `capability`, and its engine (go/cavra-runtime/runtime/decision.go) names the target and operation it
 * decided rather than echoing them. An action type not listed here is echoed as sent.
 */
const UPSTREAM_FILL_INS: Readonly<Record<string, (request: EvaluateRequest) => EchoAllowance>> = {
  // evaluateFile: the operation is the file mode, `read`, whatever was sent.
  read_file: () => ({ ifEmpty: {}, always: { requested_operation: ['read'] } }),
  // evaluateFile: the operation is the file mode, `write`, whatever was sent.
  write_file: () => ({ ifEmpty: {}, always: { requested_operation: ['write'] } }),
  // evaluateCommand: target and operation are both the command with surrounding white space trimmed.
  execute_command: (request) => {
    const command = goTrimSpace(request.target);
    return { ifEmpty: {}, always: { target: [command], requested_operation: [command] } };
  },
  // evaluateGit: an allowed operation sent empty is answered as the target.
  git_operation: (request) => ({ ifEmpty: { requested_operation: [request.target] }, always: {} }),
  // evaluateMCP / evaluateMCPRegistry: the target is `server:tool`, and the daemon request has neither, so `:`.
  mcp_tool_call: () => ({ ifEmpty: {}, always: { target: [':'] } }),
};

/**
 * Go's strings.TrimSpace: trims what unicode.IsSpace calls space (U+0085 included, U+FEFF not, unlike String.trim),
 * https://pkg.go.dev/unicode#IsSpace .
 */
const GO_TRIM =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

function goTrimSpace(text: string): string {
  return text.replace(GO_TRIM, '');
}

const NONE: EchoAllowance = { ifEmpty: {}, always: {} };

/** The target and operation upstream's Go daemon may answer for `request`, beside the ones sent. */
export function upstreamFillIns(request: EvaluateRequest): EchoAllowance {
  return UPSTREAM_FILL_INS[request.action_type]?.(request) ?? NONE;
}
