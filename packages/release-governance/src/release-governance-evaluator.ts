import { RELEASE_GOVERNANCE_ACTION_TYPE, type ReleaseGovernanceRecord } from '@cavra/contracts';
import type { ActionEvaluator, RuleOutcome } from '@cavra/runtime';
import type { DrillHistory } from './drill-history.js';
import { PROMOTION_KINDS } from './release-governance-kinds.js';
import {
  decidedKind,
  decideReleaseGovernance,
  isMissingRecord,
  type ReleaseFinding,
  stricterFinding,
} from './release-governance-rules.js';

/** The approver group of release-governance decisions unless configured otherwise (upstream CAVRA's). */
export const RELEASE_GOVERNANCE_APPROVER_GROUP = 'Release Governance';

export interface ReleaseGovernanceEvaluatorOptions {
  /** Who approves, named on every decision that is not an allow; default `Release Governance`. */
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
  const approverGroup = options.approverGroup ?? RELEASE_GOVERNANCE_APPROVER_GROUP;
  const maxDrillAgeDays = options.maxDrillAgeDays ?? 30;
  if (!Number.isFinite(maxDrillAgeDays) || maxDrillAgeDays <= 0) {
    throw new TypeError(`maxDrillAgeDays must be a positive number of days, got ${maxDrillAgeDays}`);
  }
  return {
    actionType: RELEASE_GOVERNANCE_ACTION_TYPE,
    evaluate(request, context): RuleOutcome {
      const record = request.releaseGovernance;
      let result = decideReleaseGovernance(record, request.target);
      if (record && !isMissingRecord(record) && options.drills) {
        if (PROMOTION_KINDS.has(decidedKind(record, request.target))) {
          result = stricterFinding(result, drillGate(record, options.drills, maxDrillAgeDays, context.now()));
        }
      }
      return {
        ...result,
        // As upstream: the policy that decides is the pack the request names.
        policyId: context.pack.id,
        evidenceRefs: record ? evidenceRefs(record) : [],
        approverGroup: result.decision === 'allow' ? '' : approverGroup,
      };
    },
  };
}

function drillGate(
  record: ReleaseGovernanceRecord,
  drills: DrillHistory,
  maxAgeDays: number,
  now: Date,
): ReleaseFinding | undefined {
  // A drill dated after the engine's clock does not count: it cannot vouch for a promotion happening now.
  const last = drills.lastSuccessful(record.releaseChannel, now);
  if (!last) {
    return {
      decision: 'block',
      ruleId: 'release_governance.promotion.drill_missing',
      severity: 'high',
      reason: `no successful rollback drill recorded for ${record.releaseChannel || 'an unnamed channel'}`,
    };
  }
  if (now.getTime() - Date.parse(last.completedAt) > maxAgeDays * DAY_MS) {
    return {
      decision: 'block',
      ruleId: 'release_governance.promotion.drill_stale',
      severity: 'high',
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
