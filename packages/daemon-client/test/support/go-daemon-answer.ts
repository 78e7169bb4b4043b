/**
 * The request fields upstream CAVRA's Go daemon echoes in its answer, as its public source behaves (written here
 * from its interface facts: go/cavra-runtime/enforcement/v1/contracts.go and runtime/decision.go,
 * runtime/release_governance.go), for the upstream-style fake daemons of the tests:
 * - its daemon request has only the proto fields: `operation`, `server`, `tool`, `capability` and `record` are
 *   dropped as it decodes;
 * - evidence with a reported field and no action type is a `release_governance_record` request;
 * - files answer the mode as operation (`read`, `write`); a command answers the trimmed command as target and
 *   operation; a git operation sent without one answers the target unless it is a push to main or master; an MCP
 *   call answers target `server:tool` (so `:`) and the sent operation; release governance answers the kind (else
 *   `release-governance-record`) for an empty target and `verify` for an empty operation or missing evidence;
 * - empty session, agent, actor and pack become `local`, `unknown-agent`, `ai-agent` and the daemon's pack.
 */
export interface GoDaemonEcho {
  readonly session_id: string;
  readonly agent_id: string;
  readonly actor: string;
  readonly action_type: string;
  readonly target: string;
  readonly requested_operation: string;
  readonly policy_pack: string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Whether the evidence reports any field (Go's RuntimeRecord is nil otherwise). */
function reportsEvidence(evidence: unknown): evidence is Record<string, unknown> {
  if (typeof evidence !== 'object' || evidence === null) return false;
  return Object.values(evidence).some(
    (value) =>
      (typeof value === 'string' && value !== '') ||
      (typeof value === 'number' && value !== 0) ||
      value === true ||
      (Array.isArray(value) && value.length > 0),
  );
}

export function goDaemonEcho(
  request: Readonly<Record<string, unknown>>,
  daemonPack = 'cavra-ai-agent-baseline',
): GoDaemonEcho {
  const evidence = request.release_governance;
  const hasEvidence = reportsEvidence(evidence);
  const actionType = text(request.action_type) || (hasEvidence ? 'release_governance_record' : '');
  const target = text(request.target);
  const operation = text(request.requested_operation);
  const answered = ((): { target: string; requested_operation: string } => {
    switch (actionType) {
      case 'read_file':
        return { target, requested_operation: 'read' };
      case 'write_file':
        return { target, requested_operation: 'write' };
      case 'execute_command':
        return { target: target.trim(), requested_operation: target.trim() };
      case 'git_operation': {
        const protectedPush = operation === 'push' && (target.endsWith('main') || target.endsWith('master'));
        return { target, requested_operation: protectedPush ? operation : operation || target };
      }
      case 'mcp_tool_call':
        return { target: ':', requested_operation: operation };
      case 'release_governance_record':
        return {
          target:
            target || (hasEvidence ? text(evidence.metadata_kind).trim() : '') || 'release-governance-record',
          requested_operation: hasEvidence ? operation || 'verify' : 'verify',
        };
      default:
        return { target, requested_operation: operation };
    }
  })();
  return {
    session_id: text(request.session_id) || 'local',
    agent_id: text(request.agent_id) || 'unknown-agent',
    actor: text(request.actor) || 'ai-agent',
    action_type: actionType,
    ...answered,
    policy_pack: text(request.policy_pack) || daemonPack,
  };
}

/** Upstream's JSON: fields holding their empty value are left out (Go `omitempty`). */
export function omitEmpty(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).filter(
      ([, item]) => item !== '' && item !== undefined && !(Array.isArray(item) && item.length === 0),
    ),
  );
}
