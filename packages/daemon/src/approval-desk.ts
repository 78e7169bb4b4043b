import {
  ApprovalError,
  type ApprovalRequest,
  type ApprovalState,
  type ApprovalStore,
  actionFingerprint,
  type Grant,
  newApprovalRequest,
  parseDuration,
  type RequesterRunner,
  type ScopeKind,
} from '@cavra/approvals';
import { DEFAULT_LIMITS as CONTRACT_LIMITS } from '@cavra/contracts';
import { APPROVAL_RULE_IDS, approvalRef } from './approval-ref.js';
import type { ApprovalsConfig } from './approvals-config.js';
import type { Decided } from './decide-request.js';
import type { ApprovalEvidenceEvent } from './evidence-record.js';
import { UnverifiableApproval } from './fleet-state-check.js';

/** What the daemon records around a decision that approvals answered: the grant it used, after the decision. */
export interface ApprovalAnswer {
  readonly decided: Decided;
  readonly used?: { readonly requestId: string; readonly scope: ScopeKind };
}

export interface ApprovalDeskOptions {
  readonly config: ApprovalsConfig;
  readonly store: ApprovalStore;
  readonly clock: () => Date;
  /** Appends an approval event to the evidence log; resolves once it is durable. */
  readonly record: (event: ApprovalEvidenceEvent) => Promise<unknown>;
  /** Aborted when the daemon stops: a waiting evaluate is then answered `approval.pending` at once. */
  readonly stopping: AbortSignal;
}

/**
 * Steps 2 and 3 of the approvals decision path, for a `require_approval` decision of the engine: a grant for this
 * action lets it through (a `once` grant consumed by exactly this decision); else a request is created under the
 * decision's id and the answer either stays `require_approval` naming it (self-approval at the keyboard) or waits up
 * to `wait_ms` for its outcome. Any failure of the store is a block (`approval.unavailable`), so is a fleet state
 * this daemon cannot derive from verified reviews (`approval.unverifiable`); nothing else allows.
 */
export async function answerWithApproval(
  decided: Decided,
  options: ApprovalDeskOptions,
): Promise<ApprovalAnswer> {
  const { config, store, clock } = options;
  const decision = decided.decision;
  const text = (key: string) => (typeof decision[key] === 'string' ? (decision[key] as string) : '');
  const decisionId = text('decision_id');
  const requester = {
    actor: text('actor'),
    agent_id: text('agent_id'),
    session_id: text('session_id'),
    ...runnerOf(decided.evidence.runner),
  };
  const action = {
    action_type: text('action_type'),
    target: text('target'),
    operation: text('requested_operation'),
    policy_id: text('policy_id'),
    rule_id: text('rule_id'),
    severity: text('severity'),
    reason: text('reason'),
  };
  let request: ApprovalRequest;
  try {
    const now = clock();
    const fingerprint = actionFingerprint({
      ...action,
      actor: requester.actor,
      agent_id: requester.agent_id,
    });
    const grant = await store.findGrant(fingerprint, requester.session_id, now);
    if (grant && (await store.consumeGrant(grant.request_id, decisionId))) {
      return { decided: granted(decided, grant, await store.get(grant.request_id)), used: usedOf(grant) };
    }
    const group = config.groups[text('approver_group')];
    const seconds = (duration: string | undefined) => (duration ? parseDuration(duration) : undefined);
    request = newApprovalRequest(
      {
        request_id: decisionId,
        requester,
        action,
        approver_group: text('approver_group'),
        // Left out: the model's defaults.
        ...(group?.threshold !== undefined ? { threshold: group.threshold } : {}),
        ...(group?.scopes ? { scopes: group.scopes } : {}),
        ...(group?.maxTtl ? { max_ttl_seconds: seconds(group.maxTtl) } : {}),
        expiry: { interactive: seconds(config.expiry.interactive), ci: seconds(config.expiry.ci) },
      },
      now,
    );
    await store.create(request);
  } catch (error) {
    if (error instanceof UnverifiableApproval) return unverifiable(decided, error);
    return {
      decided: blocked(decided, 'unavailable', 'the approval store is unavailable; nothing was approved'),
    };
  }
  const id = request.request_id;
  await options.record({ type: 'approval_requested', request, decision });
  const approve = `cavra approval approve ${id}`;
  if (config.selfApprovalAtKeyboard) {
    return {
      decided: changed(decided, {
        reason: withSuffix(action.reason, ` (approval request ${id}: ${approve})`),
        evidence_refs: [...refsOf(decided), approvalRef(id)],
      }),
    };
  }
  // The store failed while waiting, reading or consuming: block, naming the request.
  const unavailable = () => ({
    decided: blocked(
      decided,
      'unavailable',
      `the approval store is unavailable (approval request ${id})`,
      id,
    ),
  });
  let state: ApprovalState | undefined;
  try {
    state =
      config.waitMs > 0 && !options.stopping.aborted
        ? await store.waitForOutcome(id, {
            deadline: new Date(clock().getTime() + config.waitMs),
            signal: options.stopping,
          })
        : await store.get(id);
  } catch (error) {
    if (error instanceof UnverifiableApproval) return unverifiable(decided, error);
    // The daemon stopping ends the wait: still pending, as far as this answer knows.
    if (!options.stopping.aborted || error instanceof ApprovalError) {
      return unavailable();
    }
  }
  const outcome = state?.outcome;
  if (outcome?.status === 'approved' && outcome.grant) {
    try {
      if (await store.consumeGrant(id, decisionId)) {
        return { decided: granted(decided, outcome.grant, state), used: usedOf(outcome.grant) };
      }
    } catch {
      return unavailable();
    }
    return {
      decided: blocked(
        decided,
        'consumed',
        `approval request ${id} was approved once, and another decision of the same action used it; ask again`,
        id,
      ),
    };
  }
  if (outcome?.status === 'denied')
    return {
      decided: blocked(
        decided,
        'denied',
        `approval request ${id} was denied by ${outcome.by.join(', ')}`,
        id,
      ),
    };
  if (outcome?.status === 'expired')
    return {
      decided: blocked(decided, 'expired', `approval request ${id} expired before it was approved`, id),
    };
  return {
    decided: blocked(decided, 'pending', `approval request ${id} is pending: retry after ${approve}`, id),
  };
}

/** The runner of a request authenticated by one (CI): its key id and the identity fields a reviewer recognises. */
function runnerOf(runner: Readonly<Record<string, unknown>> | null): { runner?: RequesterRunner } {
  if (!runner || typeof runner.keyId !== 'string') return {};
  const identity = (runner.identity ?? {}) as Readonly<Record<string, unknown>>;
  const fields = Object.fromEntries(
    ['actor', 'provider', 'repository', 'workflow', 'ref'].flatMap((field) =>
      typeof identity[field] === 'string' && identity[field] !== ''
        ? [[field, identity[field] as string]]
        : [],
    ),
  );
  return {
    runner: { key_id: runner.keyId, ...(Object.keys(fields).length > 0 ? { identity: fields } : {}) },
  };
}

/** A state the fleet store holds that this daemon could not derive from verified reviews: never an allow. */
function unverifiable(decided: Decided, error: UnverifiableApproval): ApprovalAnswer {
  return { decided: blocked(decided, 'unverifiable', error.message, error.requestId) };
}

function usedOf(grant: Grant): ApprovalAnswer['used'] {
  return { requestId: grant.request_id, scope: grant.scope };
}

function granted(decided: Decided, grant: Grant, state: ApprovalState | undefined): Decided {
  const by = state?.outcome?.by ?? [];
  return changed(decided, {
    decision: 'allow',
    rule_id: APPROVAL_RULE_IDS.granted,
    reason: withSuffix(
      `approved by ${by.join(', ') || 'the approver group'} (approval request ${grant.request_id}, scope ${state?.outcome?.scope ?? grant.scope})`,
      '',
    ),
    evidence_refs: [...refsOf(decided), approvalRef(grant.request_id)],
  });
}

function blocked(
  decided: Decided,
  rule: Exclude<keyof typeof APPROVAL_RULE_IDS, 'granted'>,
  reason: string,
  requestId?: string,
): Decided {
  return changed(decided, {
    decision: 'block',
    rule_id: APPROVAL_RULE_IDS[rule],
    reason: withSuffix(reason, ''),
    evidence_refs: [...refsOf(decided), ...(requestId ? [approvalRef(requestId)] : [])],
  });
}

function refsOf(decided: Decided): string[] {
  const refs = decided.decision.evidence_refs;
  return Array.isArray(refs) ? (refs as string[]) : [];
}

/** The same decision with some fields changed; the record holds the answer as sent. */
function changed(decided: Decided, fields: Record<string, unknown>): Decided {
  const decision = { ...decided.decision, ...fields };
  return { decision, evidence: { ...decided.evidence, decision } };
}

/** `text` + `suffix` within the contract's bound on a string (the suffix, which names the request, is kept whole). */
function withSuffix(text: string, suffix: string): string {
  const room = CONTRACT_LIMITS.maxStringBytes - Buffer.byteLength(suffix, 'utf8');
  let kept = text;
  while (Buffer.byteLength(kept, 'utf8') > room) kept = kept.slice(0, -1);
  return `${kept}${suffix}`;
}
