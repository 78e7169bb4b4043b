import { fromDecisionResponse, type RuntimeDecision, type RuntimeRequest } from '@cavra/contracts';
import {
  type CompiledPolicyPack,
  createEngine,
  POLICY_PACK_ACTION_TYPES,
  type RuntimeMode,
} from '@cavra/runtime';
import { CliError, EXIT } from './cli-error.js';

/** One replayed record: what the daemon decided then, and what the candidate pack decides now. */
export interface ReplayedDecision {
  /** The record's `seq` in the evidence log. */
  readonly seq: number;
  readonly request: RuntimeRequest;
  readonly recorded: RuntimeDecision;
  readonly replayed: RuntimeDecision;
}

/** The outcome of a replay. */
export interface ReplayReport {
  readonly replayed: readonly ReplayedDecision[];
  /** Records replayed whose decision differs. */
  readonly changed: readonly ReplayedDecision[];
  /** Records replayed with the same decision but another rule id. */
  readonly ruleChanged: readonly ReplayedDecision[];
  /** Records not replayed, counted by reason. */
  readonly skipped: Readonly<Record<string, number>>;
  /** Whether the log's last line was cut short (a write in progress or a crash): it is not replayed. */
  readonly tornTail: boolean;
}

/**
 * Decides the request of every record of a daemon evidence log again with a candidate pack (every request as if it
 * named that pack) and compares. Records the candidate cannot decide are skipped and counted: those refused by runner
 * authentication (`rejected`), and action types no policy pack decides (release governance). A decision answered by
 * the daemon's approvals (`approval.*`) is compared through the engine's decision its request recorded. The log's integrity is
 * not checked here: `cavra-daemon evidence verify` does that. Throws CliError (invalid input) naming the line.
 */
export function replayEvidence(
  logText: string,
  logFile: string,
  pack: CompiledPolicyPack,
  mode: RuntimeMode = 'enforce',
): ReplayReport {
  const engine = createEngine({ packs: [pack], mode: { mode } });
  const lines = logText.split('\n');
  const tail = lines.pop() ?? '';
  const replayed: ReplayedDecision[] = [];
  const skipped: Record<string, number> = {};
  const skip = (reason: string) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  // The engine's own decision for each approval request, from its `approval_requested` event: what a decision that
  // an approval answered (`approval.*`) is replayed against, since the pack decided only that it needed approval.
  const asked = new Map<string, unknown>();
  for (const [index, line] of lines.entries()) {
    if (line === '') continue;
    const where = `${logFile}:${index + 1}`;
    const record = parseRecord(line, where);
    if ('event' in record) {
      if (record.requested) asked.set(record.requested.requestId, record.requested.decision);
      skip(`${record.event} event (not a decision)`);
      continue;
    }
    if (record.authentication === 'rejected') {
      skip('refused by runner authentication');
      continue;
    }
    const original = approvalAnswered(record.decision)
      ? asked.get(approvalOf(record.decision))
      : record.decision;
    if (original === undefined) {
      skip('answered by an approval whose request is not in this log');
      continue;
    }
    const recorded = recordedDecision(original, where);
    if (!(recorded.actionType in POLICY_PACK_ACTION_TYPES)) {
      skip(`${recorded.actionType} (not decided by a policy pack)`);
      continue;
    }
    const request: RuntimeRequest = {
      sessionId: recorded.sessionId,
      agentId: recorded.agentId,
      actor: recorded.actor,
      actionType: recorded.actionType,
      target: recorded.target,
      operation: recorded.operation,
      policyPack: pack.id,
    };
    replayed.push({ seq: record.seq, request, recorded, replayed: engine.evaluate(request) });
  }
  return {
    replayed,
    changed: replayed.filter((entry) => entry.recorded.decision !== entry.replayed.decision),
    ruleChanged: replayed.filter(
      (entry) =>
        entry.recorded.decision === entry.replayed.decision &&
        entry.recorded.ruleId !== entry.replayed.ruleId,
    ),
    skipped,
    tornTail: tail !== '',
  };
}

/** Whether approvals answered this decision in place of the engine (`approval.granted`, `approval.pending`, ...). */
function approvalAnswered(decision: unknown): boolean {
  const rule = (decision as { rule_id?: unknown }).rule_id;
  return typeof rule === 'string' && rule.startsWith('approval.');
}

/** The approval request a decision names in its evidence refs (`cavra-approval://<id>`), or ''. */
function approvalOf(decision: unknown): string {
  const refs = (decision as { evidence_refs?: unknown }).evidence_refs;
  const ref = Array.isArray(refs) ? refs.find((value) => String(value).startsWith(APPROVAL_REF)) : undefined;
  return ref === undefined ? '' : String(ref).slice(APPROVAL_REF.length);
}

const APPROVAL_REF = 'cavra-approval://';

function parseRecord(
  line: string,
  where: string,
):
  | { seq: number; authentication?: string; decision: unknown }
  | { seq: number; event: string; requested?: { requestId: string; decision: unknown } } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new CliError(EXIT.invalidInput, `${where}: not JSON (${(error as Error).message})`);
  }
  const record = value as { seq?: unknown; decision?: unknown; authentication?: unknown; event?: unknown };
  // An event the daemon recorded (a client's refusal, an accepted truncation): there is no decision to replay.
  const event = (record?.event as { type?: unknown } | null | undefined)?.type;
  if (typeof record?.seq === 'number' && record.decision === undefined && typeof event === 'string') {
    const requested = record.event as { request?: { request_id?: unknown }; decision?: unknown };
    const requestId = requested.request?.request_id;
    return {
      seq: record.seq,
      event: event.replace(/[^\w-]/g, '?').slice(0, 64),
      ...(event === 'approval_requested' && typeof requestId === 'string' && requested.decision !== undefined
        ? { requested: { requestId, decision: requested.decision } }
        : {}),
    };
  }
  if (typeof record?.seq !== 'number' || typeof record.decision !== 'object' || record.decision === null) {
    throw new CliError(EXIT.invalidInput, `${where}: not an evidence record (needs seq and decision)`);
  }
  return {
    seq: record.seq,
    decision: record.decision,
    ...(typeof record.authentication === 'string' ? { authentication: record.authentication } : {}),
  };
}

function recordedDecision(decision: unknown, where: string): RuntimeDecision {
  try {
    return fromDecisionResponse(decision);
  } catch (error) {
    throw new CliError(EXIT.invalidInput, `${where}: /decision: ${(error as Error).message}`);
  }
}
