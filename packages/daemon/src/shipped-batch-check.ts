import type { CheckEvidenceBatch, EvidenceAlertProblem } from '@cavra/fleet';
import type { EvidenceRecord } from './evidence-record.js';
import { lastRef, verifyLines } from './verify-evidence-log.js';

/** The evidence signing key the central verifier checks every record's HMAC with (`evidence_signing`'s secret). */
export interface ShippedEvidenceKey {
  readonly secret: Uint8Array;
  readonly keyId?: string;
}

/**
 * The chain check the central evidence verifier (`@cavra/fleet`'s startEvidenceVerifier) runs on each shipped batch:
 * verifyLines, the verification of `cavra-daemon evidence verify`, started from the verifier's stored head.
 *
 * With `key`, every record's HMAC is checked, bound to its log: the log id is the one a decision record of the batch
 * names in its own evidence ref (the id never leaves the daemon otherwise), or the last one seen of that daemon. A
 * batch of event records only, before the verifier has seen a decision of that daemon, is checked without the key
 * (its chain still is). Without `key`, signatures are not checked (the daemons may sign with keys the verifier does
 * not hold), the chain is.
 */
export function shippedBatchCheck(key?: ShippedEvidenceKey): CheckEvidenceBatch {
  const logIds = new Map<string, string>();
  return ({ daemonId, lines, from }) => {
    const logId = batchLogId(lines) ?? logIds.get(daemonId);
    if (logId !== undefined) logIds.set(daemonId, logId);
    const keyed = key !== undefined && logId !== undefined;
    const result = verifyLines(lines, {
      ...(from ? { from } : {}),
      ...(keyed ? { key, logId } : {}),
    });
    return {
      lastHash: result.lastHash,
      problems: result.problems.flatMap(({ line, problem, message }) => {
        if (problem === 'signature_unchecked' && !keyed) return [];
        // Anchors are not given here, and torn segments are a problem of a log's files, not of lines; a problem of
        // the table otherwise (checked by the compiler).
        const named: EvidenceAlertProblem =
          problem === 'anchor_missing' || problem === 'anchor_mismatch' || problem === 'torn_segment'
            ? 'bad_batch'
            : problem;
        return [{ line, problem: named, message }];
      }),
    };
  };
}

/** The log id a decision record of the batch names in its own evidence ref. */
function batchLogId(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    if (!line.includes('"evidence_refs"')) continue;
    try {
      const ref = lastRef(JSON.parse(line) as EvidenceRecord);
      if (ref) return ref.logId;
    } catch {
      // Not JSON: the chain check names it.
    }
  }
  return undefined;
}
