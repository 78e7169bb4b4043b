import type { DecisionResponse } from '@cavra/contracts';
import { describe, expect, it } from 'vitest';
import { stricterDecision, verdictOf } from '../src/index.js';

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
