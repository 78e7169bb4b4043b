import type { ContractIssue } from './contract-issue.js';

/**
 * The key under which upstream CAVRA's runtime request carries release-governance evidence: an object beside the
 * proto fields (go/cavra-runtime/runtime/decision.go `Request.Record`, JSON `record`), read for
 * `release_governance_record` requests. Our typed field for the same evidence is `release_governance`.
 */
export const UPSTREAM_RECORD = 'record';

/** Whether two validated JSON values hold the same content, whatever the key order. */
function sameContent(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameContent(item, b[index]))
    );
  }
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => key in right && sameContent(left[key], right[key]))
  );
}

/**
 * Takes upstream's `record` (already validated as ReleaseGovernanceEvidence, `normalized` being the result) as
 * the request's `release_governance`: it fills the field when absent; the same content under both keys is one
 * evidence; different content is a `record_conflict` error in every mode, since which of two evidences decides
 * would be a guess.
 */
export function foldUpstreamRecord(
  normalized: Record<string, unknown>,
  out: Record<string, unknown>,
  path: string,
  errors: ContractIssue[],
): void {
  const typed = out.release_governance;
  if (typed === undefined) {
    out.release_governance = normalized;
    return;
  }
  if (sameContent(typed, normalized)) return;
  errors.push({
    path: path ? `${path}.${UPSTREAM_RECORD}` : UPSTREAM_RECORD,
    code: 'record_conflict',
    message: 'upstream record and release_governance carry different evidence; send one, or the same in both',
  });
}
