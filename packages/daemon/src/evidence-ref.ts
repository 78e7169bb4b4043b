import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/** Scheme of the reference every daemon decision carries to its evidence record (see the README). */
export const EVIDENCE_REF_SCHEME = 'cavra-daemon-evidence';

/**
 * The id of an evidence log: the first 16 hex characters of the SHA-256 of its absolute path, so two logs on one
 * machine are told apart without the path itself (which may name a user) leaving the daemon.
 */
export function evidenceLogId(path: string): string {
  return createHash('sha256').update(resolve(path), 'utf8').digest('hex').slice(0, 16);
}

/** `cavra-daemon-evidence://<log id>/<seq>`: the record with that `seq` in the log with that id. */
export function evidenceRef(logId: string, seq: number): string {
  return `${EVIDENCE_REF_SCHEME}://${logId}/${seq}`;
}

/** The log id and seq of a reference, or undefined when it is not one of ours. */
export function parseEvidenceRef(ref: string): { readonly logId: string; readonly seq: number } | undefined {
  const match = /^cavra-daemon-evidence:\/\/([0-9a-f]{16})\/([1-9][0-9]{0,15})$/.exec(ref);
  return match ? { logId: match[1] as string, seq: Number(match[2]) } : undefined;
}
