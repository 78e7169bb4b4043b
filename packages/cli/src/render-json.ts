import { type RuntimeDecision, type RuntimeRequest, toDecisionResponse } from '@cavra/contracts';
import type { RuleTrial } from '@cavra/runtime';
import type { LintFinding } from './lint-pack.js';
import {
  type DiffReport,
  type EvalReport,
  type LintReport,
  type PackSummary,
  type ReplayRun,
  shownTrials,
  type TestReport,
} from './reports.js';

// The reports as JSON for scripts and CI (`--json`). The shape is part of the package's interface (documented in
// the README): snake_case keys like the wire contract, decisions as the DecisionResponse JSON, a `schema_version`
// per command that changes only with a breaking change of its shape.

/** A JSON document (an object). */
export type Json = Record<string, unknown>;

const decisionJson = (decision: RuntimeDecision) => toDecisionResponse(decision).toJSON() as Json;
const requestJson = (request: RuntimeRequest) => ({
  action_type: request.actionType,
  target: request.target,
  requested_operation: request.operation,
});
const packJson = (pack: PackSummary) => ({
  file: pack.file,
  id: pack.id,
  version: pack.version,
  digest: pack.digest,
});
const findingJson = (finding: LintFinding) => ({
  kind: finding.kind,
  rule: finding.rule,
  pattern: finding.pattern,
  by: finding.by,
  by_pattern: finding.byPattern,
  example: finding.example,
});
const trialJson = (trial: RuleTrial) => ({
  list: trial.list,
  index: trial.index,
  pattern: trial.pattern,
  matched: trial.matched,
  decisive: trial.decisive,
  ...(trial.outcome
    ? {
        outcome: {
          decision: trial.outcome.decision,
          rule_id: trial.outcome.ruleId,
          reason: trial.outcome.reason,
        },
      }
    : {}),
});

/** `cavra policy lint --json` (`cavra.cli.lint.v1`). */
export function lintJson(report: LintReport, passed: boolean): Json {
  return {
    schema_version: 'cavra.cli.lint.v1',
    passed,
    packs: report.packs.map((pack) => ({
      ...packJson(pack),
      findings: pack.findings.map(findingJson),
      acknowledged: pack.acknowledged.map((finding) => ({ ...findingJson(finding), reason: finding.reason })),
      unused_acknowledgements: pack.unused.map((ack) => ({
        at: ack.at,
        finding: ack.finding,
        ...(ack.pattern === undefined ? {} : { pattern: ack.pattern }),
        reason: ack.reason,
      })),
    })),
  };
}

/** `cavra policy test --json` (`cavra.cli.test.v1`). */
export function testJson(report: TestReport): Json {
  return {
    schema_version: 'cavra.cli.test.v1',
    passed: report.passed,
    failed: report.failed,
    files: report.files.map((suite) => ({
      file: suite.file,
      pack: { file: suite.pack.file, id: suite.pack.id, version: suite.pack.version },
      tests: suite.results.map((result) => ({
        name: result.name,
        passed: result.passed,
        expected: result.expected,
        actual: decisionJson(result.actual),
      })),
    })),
  };
}

/** `cavra policy diff --json` (`cavra.cli.diff.v1`). */
export function diffJson(report: DiffReport): Json {
  return {
    schema_version: 'cavra.cli.diff.v1',
    from: packJson(report.from),
    to: packJson(report.to),
    changes: report.changes,
    ...(report.requests
      ? {
          requests: {
            file: report.requests.file,
            count: report.requests.count,
            changes: report.requests.changes.map((change) => ({
              request: requestJson(change.request),
              from: decisionJson(change.from),
              to: decisionJson(change.to),
            })),
          },
        }
      : {}),
  };
}

/** `cavra policy replay --json` (`cavra.cli.replay.v1`). */
export function replayJson(run: ReplayRun): Json {
  const entry = (replayed: ReplayRun['changed'][number]) => ({
    seq: replayed.seq,
    request: requestJson(replayed.request),
    recorded: decisionJson(replayed.recorded),
    replayed: decisionJson(replayed.replayed),
  });
  return {
    schema_version: 'cavra.cli.replay.v1',
    pack: packJson(run.pack),
    evidence: run.evidence,
    mode: run.mode,
    replayed: run.replayed.length,
    changed: run.changed.map(entry),
    rule_changed: run.ruleChanged.map(entry),
    skipped: run.skipped,
    torn_tail: run.tornTail,
  };
}

/**
 * `cavra eval --json`: the DecisionResponse as the daemon answers; with `--explain`, `{decision, enforced, tried,
 * fallback}` (tried: the patterns that apply, or every one with `--all`).
 */
export function evalJson(report: EvalReport, options: { explain: boolean; all: boolean }): Json {
  const { decision, enforced, tried, fallback } = report.explanation;
  if (!options.explain) return decisionJson(decision);
  return {
    decision: decisionJson(decision),
    enforced: { decision: enforced.decision, rule_id: enforced.ruleId, reason: enforced.reason },
    tried: shownTrials(tried, options.all).map(trialJson),
    fallback: { decision: fallback.decision, rule_id: fallback.ruleId, reason: fallback.reason },
  };
}
