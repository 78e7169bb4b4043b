import {
  fromReleaseGovernanceRecord,
  type ReleaseGovernanceRecord,
  toReleaseGovernanceRecord,
} from '@cavra/contracts';

const IDENTITY = ['metadataKind', 'releaseChannel', 'releaseVersion'] as const;

const reported = (value: unknown) =>
  !(value === '' || value === 0 || value === false || (Array.isArray(value) && value.length === 0));

/**
 * The record that goes into evidence: kind, release, the typed fields the record reports (those not at their
 * proto3 default) and references, so it carries no free text. The record is checked against the contract again
 * (identifiers and references shape-checked, statuses normalised and in their closed sets, lists of at most 64
 * items, strings bounded), so the guarantee holds for a record built by hand too; a record that fails throws
 * ContractValidationError naming each field.
 */
export function publicReleaseRecord(record: ReleaseGovernanceRecord): Readonly<Record<string, unknown>> {
  const checked = toReleaseGovernanceRecord(fromReleaseGovernanceRecord(record));
  const out: Record<string, unknown> = {};
  for (const field of IDENTITY) out[field] = checked[field];
  for (const [field, value] of Object.entries(checked)) {
    if (field in out || field === 'evidenceRefs' || !reported(value)) continue;
    out[field] = Array.isArray(value) ? [...value] : value;
  }
  out.evidenceRefs = [...checked.evidenceRefs];
  return Object.freeze(out);
}
