import type { RuntimeDecision, RuntimeRequest } from '@cavra/contracts';
import type { LintFinding } from './lint-pack.js';
import { listEntry } from './list-entry.js';
import {
  type DiffReport,
  type EvalReport,
  type LintReport,
  type ReplayRun,
  shownTrials,
  type TestReport,
} from './reports.js';

// The reports as text for a terminal: one line per thing found, indented under what it belongs to.

const quote = (text: string) => `'${text}'`;
const ruleOf = (decision: RuntimeDecision) => {
  const entry = listEntry(decision.reason);
  return `${decision.decision} by ${decision.ruleId}${entry ? ` (${entry})` : ''}`;
};
const requestLine = (request: RuntimeRequest) =>
  `${request.actionType} ${quote(request.target || request.operation)}`;

const FINDING_TEXT: Readonly<Record<LintFinding['kind'], string>> = {
  shadowed: 'an earlier pattern of the same list matches it first',
  overridden: 'a stricter list is checked first',
};

const findingLine = (finding: LintFinding) =>
  `${finding.kind}: ${finding.rule} ${quote(finding.pattern)} by ${finding.by} ${quote(finding.byPattern)}: ${FINDING_TEXT[finding.kind]} (e.g. ${quote(finding.example)})`;

/** `cavra policy lint`: a line per pack, then its findings, unused acknowledgements and acknowledged findings. */
export function lintText(report: LintReport): string {
  let text = '';
  for (const pack of report.packs) {
    const failing = pack.findings.length + pack.unused.length;
    const counts = [
      ...(failing > 0 ? [`${failing} finding(s)`] : []),
      ...(pack.acknowledged.length > 0 ? [`${pack.acknowledged.length} acknowledged`] : []),
    ];
    text += `${pack.file}: ${counts.length > 0 ? counts.join(', ') : 'no findings'}\n`;
    for (const finding of pack.findings) text += `  ${findingLine(finding)}\n`;
    for (const ack of pack.unused) {
      text += `  unused acknowledgement: ${ack.at} (${ack.finding}${ack.pattern === undefined ? '' : ` ${quote(ack.pattern)}`}) covers no finding\n`;
    }
    for (const finding of pack.acknowledged) {
      text += `  acknowledged ${findingLine(finding)}\n    reason: ${finding.reason}\n`;
    }
  }
  return text;
}

/** `cavra policy test`: each test file, `pass` or `FAIL` per test (a failure with expected, actual, reason), totals. */
export function testText(report: TestReport): string {
  let text = '';
  for (const suite of report.files) {
    text += `${suite.file} (pack ${suite.pack.id} ${suite.pack.version}, ${suite.results.length} tests)\n`;
    for (const result of suite.results) {
      if (result.passed) {
        text += `  pass  ${result.name}\n`;
        continue;
      }
      const { expected, actual } = result;
      const expectedFields = [
        expected.decision,
        ...(expected.rule_id ? [`by ${expected.rule_id}`] : []),
        ...(expected.severity ? [`severity ${expected.severity}`] : []),
        ...(expected.approver_group !== undefined
          ? [`approver group ${quote(expected.approver_group)}`]
          : []),
      ];
      text += `  FAIL  ${result.name}\n`;
      text += `        expected: ${expectedFields.join(', ')}\n`;
      text += `        actual:   ${actual.decision}, by ${actual.ruleId}, severity ${actual.severity}, approver group ${quote(actual.approverGroup)}\n`;
      text += `        reason:   ${actual.reason}\n`;
    }
  }
  return `${text}${report.passed} passed, ${report.failed} failed\n`;
}

/** `cavra policy diff`: the settings changed, then the decisions changed over the requests file. */
export function diffText(report: DiffReport): string {
  const { from, to, changes } = report;
  let text = `${from.file} (${from.id} ${from.version}) -> ${to.file} (${to.id} ${to.version}): ${changes.length === 0 ? 'no rule changes' : `${changes.length} setting(s) changed`}\n`;
  for (const change of changes) {
    if (change.added || change.removed || change.reordered) {
      const parts = [
        ...(change.added ?? []).map((item) => `+ ${quote(item)}`),
        ...(change.removed ?? []).map((item) => `- ${quote(item)}`),
        ...(change.reordered ? ['same patterns, new order (rule ids move)'] : []),
      ];
      text += `  ${change.path}: ${parts.join('  ')}\n`;
    } else {
      text += `  ${change.path}: ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}\n`;
    }
  }
  if (!report.requests) return text;
  const { file, count, changes: changed } = report.requests;
  text += `over ${count} request(s) from ${file}: ${changed.length} decision(s) change\n`;
  for (const change of changed) {
    text += `  ${requestLine(change.request)}: ${ruleOf(change.from)} -> ${ruleOf(change.to)}\n`;
  }
  return text;
}

/** `cavra policy replay`: the decisions that would change, those decided by another rule, records skipped. */
export function replayText(run: ReplayRun): string {
  let text = `replayed ${run.replayed.length} record(s) of ${run.evidence} with ${run.pack.id} ${run.pack.version} (${run.mode}): ${run.changed.length} decision(s) would change\n`;
  for (const entry of run.changed) {
    text += `  seq ${entry.seq}  ${requestLine(entry.request)}: ${ruleOf(entry.recorded)} -> ${ruleOf(entry.replayed)}\n`;
  }
  if (run.ruleChanged.length > 0) {
    text += `same decision, another rule: ${run.ruleChanged.length}\n`;
    for (const entry of run.ruleChanged) {
      text += `  seq ${entry.seq}  ${requestLine(entry.request)}: ${entry.recorded.ruleId} -> ${entry.replayed.ruleId}\n`;
    }
  }
  for (const [reason, count] of Object.entries(run.skipped)) text += `skipped ${count}: ${reason}\n`;
  if (run.tornTail) text += 'skipped the last line: cut short (a write in progress or a crash)\n';
  return text;
}

/** `cavra eval`: the decision and its reason; with `explain`, the patterns that apply (every one with `all`). */
export function evalText(report: EvalReport, options: { explain: boolean; all: boolean }): string {
  const { decision, enforced, tried, fallback } = report.explanation;
  let text = `${decision.decision} by ${decision.ruleId} (severity ${decision.severity}, pack ${report.pack.id} ${report.pack.version})\n`;
  text += `  ${decision.reason}\n`;
  if (decision.approverGroup) text += `  approver group: ${decision.approverGroup}\n`;
  if (!options.explain) return text;
  if (report.mode !== 'enforce') {
    text += `mode ${report.mode}: the policy alone decides ${ruleOf(enforced)}\n`;
  }
  const shown = shownTrials(tried, options.all);
  text += options.all
    ? `rules tried (${tried.length}), each pattern alone:\n`
    : `patterns that apply (${shown.length} of ${tried.length}; --all lists every one), each alone:\n`;
  for (const trial of shown) {
    const rule = `${trial.list}[${trial.index}] ${quote(trial.pattern)}`;
    text += trial.outcome
      ? `  ${trial.decisive ? 'decided' : 'applies'}  ${rule}: ${trial.outcome.decision}: ${trial.outcome.reason}\n`
      : `  no       ${rule}: does not apply\n`;
  }
  return `${text}with no pattern applying: ${fallback.decision} by ${fallback.ruleId}: ${fallback.reason}\n`;
}
