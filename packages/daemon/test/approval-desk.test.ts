import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answerWithApproval } from '../src/approval-desk.js';
import { resolveDaemonConfig } from '../src/index.js';
import { openLocalApprovalStore } from '../src/local-approval-store.js';
import { FIXED_NOW, removeTempDirs, tempDir } from './support/daemon-fixture.js';

afterAll(removeTempDirs);

const decision = {
  decision: 'require_approval',
  rule_id: 'runtime.default.require_approval',
  policy_id: 'cavra-ai-agent-baseline',
  severity: 'medium',
  reason: "no rule knows action type 'format_disk': review required",
  approver_group: 'Repository Owners',
  decision_id: 'dec_000000000001',
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'format_disk',
  target: '/dev/sdb',
  requested_operation: 'format',
  evidence_refs: ['evidence://session-1/dec_000000000001'],
};

describe('answerWithApproval', () => {
  it('answers block approval.unavailable when the store fails, never the engine decision or an allow', async () => {
    const dir = tempDir();
    const store = await openLocalApprovalStore(join(dir, 'approvals.jsonl'));
    await store.close(); // a closed store refuses every operation (store_unavailable)
    const { approvals } = resolveDaemonConfig(
      {
        evidence_log: 'e.jsonl',
        approvals: { groups: { G: { approvers: [{ id: 'a', public_key: 'a.pem' }] } } },
      },
      { baseDir: dir },
    );
    const recorded: unknown[] = [];
    const answer = await answerWithApproval(
      { decision, evidence: { recorded_at: '', decision, runner: null, release_governance: null } },
      {
        config: approvals as NonNullable<typeof approvals>,
        store,
        clock: () => FIXED_NOW,
        record: async (event) => recorded.push(event),
        stopping: new AbortController().signal,
      },
    );
    expect(answer.decided.decision).toEqual({
      ...decision,
      decision: 'block',
      rule_id: 'approval.unavailable',
      reason: 'the approval store is unavailable; nothing was approved',
    });
    expect(answer.decided.evidence.decision).toBe(answer.decided.decision);
    expect([answer.used, recorded]).toEqual([undefined, []]);
  });
});
