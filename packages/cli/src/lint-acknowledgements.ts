import type { PolicyPackDocument } from '@cavra/runtime';
import type { LintFinding } from './lint-pack.js';

/** A finding a pack's authors accept, with why (`lint.acknowledge` in the pack). */
export type LintAcknowledgement = NonNullable<NonNullable<PolicyPackDocument['lint']>['acknowledge']>[number];

/** A finding an acknowledgement covers: listed, but it does not fail the lint. */
export interface AcknowledgedFinding extends LintFinding {
  /** The acknowledgement's reason. */
  readonly reason: string;
}

/** An acknowledgement that covers no finding: stale (the rule changed) or mistyped; it fails the lint. */
export interface UnusedAcknowledgement extends LintAcknowledgement {
  /** Its place in the pack, e.g. `lint.acknowledge[0]`. */
  readonly at: string;
}

/** Findings sorted by the pack's acknowledgements: open, acknowledged, and acknowledgements that cover nothing. */
export interface AcknowledgedLint {
  /** Findings no acknowledgement covers: they fail the lint. */
  readonly findings: readonly LintFinding[];
  /** Findings covered, with the reason: listed, they pass. */
  readonly acknowledged: readonly AcknowledgedFinding[];
  /** Acknowledgements that cover no finding: they fail the lint. */
  readonly unused: readonly UnusedAcknowledgement[];
}

/**
 * Applies acknowledgements: one covers every finding of its kind (`finding`) whose rule has its `pattern` (every
 * finding of the kind when it names no pattern). The first acknowledgement covering a finding gives the reason.
 */
export function acknowledgeFindings(
  findings: readonly LintFinding[],
  acknowledgements: readonly LintAcknowledgement[],
): AcknowledgedLint {
  const covers = (ack: LintAcknowledgement, finding: LintFinding) =>
    ack.finding === finding.kind && (ack.pattern === undefined || ack.pattern === finding.pattern);
  const open: LintFinding[] = [];
  const acknowledged: AcknowledgedFinding[] = [];
  for (const finding of findings) {
    const ack = acknowledgements.find((candidate) => covers(candidate, finding));
    if (ack) acknowledged.push({ ...finding, reason: ack.reason });
    else open.push(finding);
  }
  const unused = acknowledgements.flatMap((ack, index) =>
    findings.some((finding) => covers(ack, finding)) ? [] : [{ ...ack, at: `lint.acknowledge[${index}]` }],
  );
  return { findings: open, acknowledged, unused };
}
