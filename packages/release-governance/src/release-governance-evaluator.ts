import { RELEASE_GOVERNANCE_ACTION_TYPE, type ReleaseGovernanceRecord } from '@cavra/contracts';
import type { ActionEvaluator, RuleOutcome } from '@cavra/runtime';
import type { DrillHistory } from './drill-history.js';
import { RELEASE_GOVERNANCE_RULES, type ReleaseFinding } from './release-governance-rules.js';

/** The policy id every release-governance decision carries. */
export const RELEASE_GOVERNANCE_POLICY_ID = 'release-governance';

export interface ReleaseGovernanceEvaluatorOptions {
  /** Who approves when a rule requires approval; default `release-managers`. */
  readonly approverGroup?: string;
  /**
   * Gate promotions on a recent successful rollback drill of the same release channel. Without it, no gate.
   */
  readonly drills?: DrillHistory;
  /** How old the last successful drill may be, in days (default 30); a positive number, else TypeError. */
  readonly maxDrillAgeDays?: number;
}

// Room left for the engine's own references within the contract's 64-item list bound.
const MAX_EVALUATOR_REFS = 60;
const DAY_MS = 86_400_000;

/** The `release_governance_record` evaluator to register with `createEngine({ evaluators })`. */
export function createReleaseGovernanceEvaluator(
  options: ReleaseGovernanceEvaluatorOptions = {},
): ActionEvaluator {
  const approverGroup = options.approverGroup ?? 'release-managers';
  const maxDrillAgeDays = options.maxDrillAgeDays ?? 30;
  if (!Number.isFinite(maxDrillAgeDays) || maxDrillAgeDays <= 0) {
    throw new TypeError(`maxDrillAgeDays must be a positive number of days, got ${maxDrillAgeDays}`);
  }
  return {
    actionType: RELEASE_GOVERNANCE_ACTION_TYPE,
    evaluate(request, context): RuleOutcome {
      const record = request.releaseGovernance;
      // A release-governance request without its evidence is refused: the action is sensitive by definition.
      let result: ReleaseFinding = record
        ? RELEASE_GOVERNANCE_RULES[record.metadataKind](record)
        : {
            decision: 'block',
            ruleId: 'release-governance.missing-payload',
            severity: 'high',
            reason: 'release_governance_record request carries no release_governance evidence',
          };
      if (
        record &&
        options.drills &&
        record.metadataKind === 'release-promotion-audit-export' &&
        result.decision === 'allow'
      ) {
        result = drillGate(record, options.drills, maxDrillAgeDays, context.now()) ?? result;
      }
      return {
        ...result,
        policyId: RELEASE_GOVERNANCE_POLICY_ID,
        evidenceRefs: record ? evidenceRefs(record) : [],
        approverGroup: result.decision === 'require_approval' ? approverGroup : '',
      };
    },
  };
}

function drillGate(record: ReleaseGovernanceRecord, drills: DrillHistory, maxAgeDays: number, now: Date) {
  // A drill dated after the engine's clock does not count: it cannot vouch for a promotion happening now.
  const last = drills.lastSuccessful(record.releaseChannel, now);
  if (!last) {
    return {
      decision: 'block' as const,
      ruleId: 'release-governance.promotion.drill-missing',
      severity: 'high' as const,
      reason: `no successful rollback drill recorded for ${record.releaseChannel}`,
    };
  }
  if (now.getTime() - Date.parse(last.completedAt) > maxAgeDays * DAY_MS) {
    return {
      decision: 'block' as const,
      ruleId: 'release-governance.promotion.drill-stale',
      severity: 'high' as const,
      reason: `last successful rollback drill for ${record.releaseChannel} completed ${last.completedAt}, more than ${maxAgeDays} ${maxAgeDays === 1 ? 'day' : 'days'} ago`,
    };
  }
  return undefined;
}

function evidenceRefs(record: ReleaseGovernanceRecord): string[] {
  const refs = [
    `release:${record.releaseChannel || 'unknown'}/${record.releaseVersion || 'unknown'}`,
    ...[record.verificationRef, record.auditExportRef, record.rollbackRef].filter((ref) => ref !== ''),
    ...record.evidenceRefs,
  ];
  return [...new Set(refs)].slice(0, MAX_EVALUATOR_REFS);
}
