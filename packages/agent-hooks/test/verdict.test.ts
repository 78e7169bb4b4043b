import type { DecisionResponse } from '@cavra/contracts';
import { describe, expect, it } from 'vitest';
import {
  approvalRequestId,
  askDenied,
  cursor,
  geminiCli,
  stricterDecision,
  verdictOf,
} from '../src/index.js';

function decision(value: string, approverGroup = ''): DecisionResponse {
  return {
    decision: value,
    rule_id: 'rule.x',
    reason: 'because',
    approver_group: approverGroup,
  } as DecisionResponse;
}

describe('verdictOf', () => {
  it.each([
    ['allow', { permission: 'allow', reason: 'CAVRA allow (rule.x): because' }],
    ['block', { permission: 'deny', reason: 'CAVRA block (rule.x): because' }],
    [
      'require_approval',
      { permission: 'ask', reason: 'CAVRA require_approval (rule.x): because (approver group: leads)' },
    ],
    [
      'warn',
      { permission: 'allow', reason: 'CAVRA warn (rule.x): because', notice: 'CAVRA warn (rule.x): because' },
    ],
    [
      'audit_only',
      {
        permission: 'allow',
        reason: 'CAVRA audit_only (rule.x): because',
        notice: 'CAVRA audit_only (rule.x): because',
      },
    ],
    [
      'allow_with_attestation',
      {
        permission: 'allow',
        reason: 'CAVRA allow_with_attestation (rule.x): because',
        notice: 'CAVRA allow_with_attestation (rule.x): because',
      },
    ],
    ['maybe', { permission: 'deny', reason: 'CAVRA maybe (rule.x): because (unknown decision, denied)' }],
  ])('%s', (value, expected) => {
    const input = decision(value, value === 'require_approval' ? 'leads' : '');
    expect(verdictOf(input)).toEqual({ ...expected, decision: input });
  });
});

describe('stricterDecision', () => {
  const order = ['block', 'require_approval', 'warn', 'allow_with_attestation', 'audit_only', 'allow'];
  it('follows the contract order, whichever side comes first', () => {
    for (const [i, a] of order.entries()) {
      for (const b of order.slice(i)) {
        expect(stricterDecision(decision(a), decision(b)).decision).toBe(a);
        expect(stricterDecision(decision(b), decision(a)).decision).toBe(a);
      }
    }
  });
  it('takes an unknown decision as the strictest', () => {
    expect(stricterDecision(decision('block'), decision('maybe')).decision).toBe('maybe');
  });
});

/** A decision of a daemon with `approvals:`: it carries its approval request's reference. */
function withRequest(value: string, ruleId: string, reason: string, refs: string[]): DecisionResponse {
  return {
    decision: value,
    rule_id: ruleId,
    reason,
    approver_group: 'Repository Owners',
    action_type: 'execute_command',
    evidence_refs: refs,
  } as DecisionResponse;
}

const REQUEST = 'dec_7f3a';
const REFS = [`cavra-approval://${REQUEST}`, 'cavra-daemon-evidence://0123456789abcdef/4'];

describe('approval requests in answers', () => {
  it('reads the request id from the cavra-approval:// reference only, and only a plain identifier', () => {
    expect(approvalRequestId(withRequest('require_approval', 'r', 'x', REFS))).toBe(REQUEST);
    expect(approvalRequestId(withRequest('require_approval', 'r', 'x', [REFS[1] as string]))).toBeUndefined();
    expect(
      approvalRequestId(withRequest('require_approval', 'r', 'x', ['cavra-approval://a b'])),
    ).toBeUndefined();
    expect(approvalRequestId(decision('require_approval'))).toBeUndefined();
  });

  it('an ask names the request id and the approve command, once, after the approver group', () => {
    const plain = withRequest('require_approval', 'commands.require_approval', 'kubectl needs review', REFS);
    expect(verdictOf(plain)).toEqual({
      permission: 'ask',
      reason: `CAVRA require_approval (commands.require_approval): kubectl needs review (approver group: Repository Owners) (approval request ${REQUEST}: cavra approval approve ${REQUEST})`,
      decision: plain,
    });
    // The daemon's own reason already names them: nothing is added twice.
    const named = withRequest(
      'require_approval',
      'commands.require_approval',
      `kubectl needs review (approval request ${REQUEST}: cavra approval approve ${REQUEST})`,
      REFS,
    );
    expect(verdictOf(named).reason).toBe(
      `CAVRA require_approval (commands.require_approval): kubectl needs review (approval request ${REQUEST}: cavra approval approve ${REQUEST}) (approver group: Repository Owners)`,
    );
  });

  it('approval.pending denies naming the id and the command; other blocks and approval.granted are as they are', () => {
    const pending = withRequest('block', 'approval.pending', 'waiting for Repository Owners', REFS);
    expect(verdictOf(pending)).toEqual({
      permission: 'deny',
      reason: `CAVRA block (approval.pending): waiting for Repository Owners (approval request ${REQUEST}: cavra approval approve ${REQUEST})`,
      decision: pending,
    });
    const denied = withRequest('block', 'approval.denied', 'denied by bob', REFS);
    expect(verdictOf(denied).reason).toBe('CAVRA block (approval.denied): denied by bob');
    const granted = withRequest('allow', 'approval.granted', `approved by alice (${REQUEST})`, REFS);
    expect(verdictOf(granted)).toEqual({
      permission: 'allow',
      reason: `CAVRA allow (approval.granted): approved by alice (${REQUEST})`,
      decision: granted,
    });
  });

  it('askDenied: an ask is a deny, with a request it says a retry passes once approved', () => {
    const asked = verdictOf(withRequest('require_approval', 'r', 'x', REFS));
    expect(askDenied(asked)).toEqual({
      ...asked,
      permission: 'deny',
      reason: `${asked.reason}; retry the same call once it is approved`,
    });
    const noRequest = verdictOf(decision('require_approval', 'leads'));
    expect(askDenied(noRequest)).toEqual({ ...noRequest, permission: 'deny' });
    const allowed = verdictOf(decision('allow'));
    expect(askDenied(allowed)).toBe(allowed);
  });

  it('Cursor denies a call with an approval request (its own prompt would leave no record); Gemini CLI says how', () => {
    const asked = verdictOf(withRequest('require_approval', 'r', 'x', REFS));
    const reason = `${asked.reason}; retry the same call once it is approved`;
    expect(JSON.parse(cursor.answer(asked).stdout)).toEqual({
      permission: 'deny',
      user_message: reason,
      agent_message: reason,
    });
    expect(JSON.parse(cursor.answer(verdictOf(decision('require_approval'))).stdout).permission).toBe('ask');
    expect(JSON.parse(geminiCli.answer(asked).stdout)).toEqual({
      decision: 'deny',
      reason,
      systemMessage: reason,
    });
  });
});
