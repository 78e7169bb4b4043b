import {
  DEFAULT_LIMITS,
  DecisionResponseCodec,
  decisionResponseFields,
  isDecision,
  isRfc3339Utc,
  isSeverity,
  type RuntimeDecision,
  toDecisionResponse,
} from '@cavra/contracts';

/**
 * A decision as the DecisionResponse JSON the daemon sends and records: snake_case, every field, in field-number
 * order. Built as a plain object, since the codec's path (validate, protobufjs message, JSON) materializes every answer
 * three times. The decision is the daemon's own output, so a cheap structural guard stands in for the contract
 * validation; one it cannot vouch for takes the codec's path, which validates (and throws, as before).
 */
export function decisionJson(decision: RuntimeDecision): Record<string, unknown> {
  if (!vouchedFor(decision)) {
    return DecisionResponseCodec.toJSON(toDecisionResponse(decision), { emitDefaults: true });
  }
  return decisionResponseFields(decision);
}

// The fields of DecisionResponse with the contract's long-string limit (DEFAULT_LIMITS.longStringFields).
const LONG_FIELDS = ['target', 'operation'] as const;
const SHORT_FIELDS = [
  'decisionId',
  'sessionId',
  'agentId',
  'actor',
  'actionType',
  'policyPack',
  'policyId',
  'ruleId',
  'reason',
  'approverGroup',
  'correlationId',
] as const;

/**
 * What the contract would check, in the cheap cases: closed sets, timestamp, string types and sizes. A string whose
 * size needs counting (more than a third of its limit in UTF-16 units) is not vouched for: the codec counts it.
 */
function vouchedFor(decision: RuntimeDecision): boolean {
  if (!isDecision(decision.decision) || !isSeverity(decision.severity)) return false;
  const { timestamp } = decision;
  // Empty is the proto3 default, which the contract accepts.
  if (typeof timestamp !== 'string' || (timestamp !== '' && !isRfc3339Utc(timestamp))) return false;
  const refs = decision.evidenceRefs;
  if (!Array.isArray(refs) || refs.length > DEFAULT_LIMITS.maxListItems) return false;
  for (const ref of refs) if (!short(ref, DEFAULT_LIMITS.maxStringBytes)) return false;
  for (const field of SHORT_FIELDS) if (!short(decision[field], DEFAULT_LIMITS.maxStringBytes)) return false;
  for (const field of LONG_FIELDS)
    if (!short(decision[field], DEFAULT_LIMITS.maxLongStringBytes)) return false;
  return true;
}

function short(value: unknown, limitBytes: number): boolean {
  return typeof value === 'string' && value.length * 3 <= limitBytes;
}
