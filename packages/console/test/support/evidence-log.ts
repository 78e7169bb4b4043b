import { EvidenceLog } from '@cavra/daemon';

/** What the n-th (0-based) generated record decides: a mix of agents, actions and decisions, one record a minute. */
export function generated(n: number, start = Date.parse('2026-12-06T00:00:00Z')) {
  const decision = (['allow', 'allow', 'block', 'warn'] as const)[n % 4];
  return {
    recorded_at: new Date(start + n * 60_000).toISOString(),
    decision: {
      decision_id: `d-${n}`,
      session_id: `session-${n % 7}`,
      agent_id: n % 2 === 0 ? 'codex-agent' : 'claude-code',
      actor: 'developer@example.com',
      action_type: n % 3 === 0 ? 'read_file' : 'execute_command',
      target: n % 3 === 0 ? `src/file-${n}.ts` : `npm run task-${n}`,
      requested_operation: 'run',
      policy_pack: 'cavra-ai-agent-baseline',
      policy_id: 'cavra-ai-agent-baseline',
      rule_id: `rule.${decision}`,
      decision,
      severity: 'low',
      reason: 'generated',
      evidence_refs: [],
      approver_group: '',
      timestamp: new Date(start + n * 60_000).toISOString(),
      correlation_id: '',
    },
    authentication: 'unauthenticated_local_agent' as const,
    runner: null,
    release_governance: null,
  };
}

/** Writes `count` generated records with the daemon's own log writer (a real hash chain), from record `from` on. */
export async function writeEvidence(path: string, count: number, from = 0): Promise<void> {
  const log = await EvidenceLog.open(path);
  try {
    const writes: Promise<unknown>[] = [];
    for (let n = from; n < from + count; n++) writes.push(log.append(generated(n)));
    await Promise.all(writes);
  } finally {
    await log.close();
  }
}
