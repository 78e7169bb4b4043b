import { type ApprovalState, approvalStatus } from '@cavra/approvals/wire';
import type { ApproverKeyReport, DaemonResult } from './approval-commands.js';
import type { Json } from './render-json.js';

// `cavra approval` results as text for a person and as JSON for scripts (`--json`, shapes in the README).

/** `schema_version` of every `cavra approval --json` document. */
export const APPROVAL_SCHEMA = 'cavra.cli.approval.v1';

const quote = (text: string) => `'${text}'`;

/** `approval keygen`: the kid and the daemon config entry to add for this key. */
export function approverKeyText(report: ApproverKeyReport): string {
  return `wrote ${report.privateKeyPath} (private, mode 600) and ${report.publicKeyPath}
kid: ${report.kid}
in the daemon config, under approvals.groups.<group>.approvers:
  - { id: ${report.approverId ?? '<your approver id, e.g. your email>'}, public_key: ${report.publicKeyPath} }
(for an OIDC review, --id-token: ask your IdP for an ID token with nonce=${report.kid})
`;
}

/** `approval keygen --json`. */
export function approverKeyJson(report: ApproverKeyReport): Json {
  return {
    schema_version: APPROVAL_SCHEMA,
    kid: report.kid,
    private_key_path: report.privateKeyPath,
    public_key_path: report.publicKeyPath,
    ...(report.approverId ? { approver_id: report.approverId } : {}),
  };
}

const actionLine = (state: ApprovalState) =>
  `${state.request.action.action_type} ${quote(state.request.action.target || state.request.action.operation)}`;

/** `approval list`: one line per request (id, status, group, action, who asked, expiry). */
export function approvalListText(states: readonly ApprovalState[]): string {
  if (states.length === 0) return 'no approval requests\n';
  return states
    .map(
      (state) =>
        `${state.request.request_id}  ${approvalStatus(state)}  ${quote(state.request.approver_group)}  ${actionLine(state)}  by ${state.request.requester.actor}  expires ${state.request.expires_at}\n`,
    )
    .join('');
}

/** `approval show`, `approve`, `deny`: the request, each review and the outcome, and what to run next. */
export function approvalText(state: ApprovalState): string {
  const { request, reviews, outcome } = state;
  const status = approvalStatus(state);
  const runner = request.requester.runner ? `, runner key ${request.requester.runner.key_id}` : '';
  const lines = [
    `request ${request.request_id}: ${status}`,
    `  action:     ${actionLine(state)}${request.action.operation && request.action.operation !== request.action.target ? ` (${request.action.operation})` : ''}`,
    `  rule:       ${request.action.rule_id} of ${request.action.policy_id}, severity ${request.action.severity}`,
    `  reason:     ${request.action.reason}`,
    `  asked by:   ${request.requester.actor} (agent ${request.requester.agent_id}, session ${request.requester.session_id}${runner})`,
    `  group:      ${quote(request.approver_group)}, ${request.threshold} approval(s) needed; scopes ${request.scopes.join(', ')}, ttl at most ${request.max_ttl_seconds} s`,
    `  created:    ${request.created_at}, expires ${request.expires_at}`,
    ...reviews.map(
      (review) =>
        `  review:     ${review.verdict} by ${review.reviewer} (${review.method}${review.scope ? `, scope ${review.scope}` : ''})${review.reason ? `: ${review.reason}` : ''}`,
    ),
    ...(outcome
      ? [
          `  outcome:    ${outcome.status} at ${outcome.decided_at}${outcome.by.length > 0 ? ` by ${outcome.by.join(', ')}` : ''}${outcome.scope ? `, scope ${outcome.scope}` : ''}`,
        ]
      : [`  to approve: cavra approval approve ${request.request_id} --key KEY --as ID`]),
  ];
  return `${lines.join('\n')}\n`;
}

/** `approval list --json`: the daemon's records as they came. */
export function approvalListJson(states: readonly ApprovalState[]): Json {
  return { schema_version: APPROVAL_SCHEMA, approvals: states };
}

/** `approval show|approve|deny --json`: the request as it stands (after the review). */
export function approvalJson(state: ApprovalState): Json {
  return { schema_version: APPROVAL_SCHEMA, approval: state };
}

/** A daemon call that failed (the message names the code, and a refusal's reason), as JSON on stdout. */
export function daemonFailureJson(result: Extract<DaemonResult<unknown>, { ok: false }>): Json {
  const { code, daemonCode, reason, message } = result.error;
  return {
    schema_version: APPROVAL_SCHEMA,
    error: {
      code,
      ...(daemonCode ? { daemon_code: daemonCode } : {}),
      ...(reason ? { reason } : {}),
      message,
    },
  };
}
