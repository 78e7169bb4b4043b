import { FleetError, type FleetErrorCode } from './fleet-error.js';

/**
 * tuf-js's refusals by their message. tuf-js wraps the errors of snapshot and targets loading in a RuntimeError whose
 * message embeds the original one, so the text (not the class) is what survives; the texts are those of tuf-js 4.1
 * (dist/store.js, dist/updater.js) and @tufjs/models 4.1 (dist/metadata.js, dist/key.js, dist/file.js). Checked in
 * order; the first match names the refusal.
 */
const TUF_REFUSALS: readonly { readonly code: FleetErrorCode; readonly text: RegExp }[] = [
  // store.js: "Final timestamp.json is expired", "snapshot.json is expired", "<role>.json is expired".
  { code: 'expired', text: /\bis expired\b/ },
  // store.js: "New timestamp version 3 is less than current version 5", "New version ... of targets.json is less
  // than current version ...", "Expected version 3, got 2" (root).
  { code: 'rollback', text: /is less than current version|Expected version \d+, got \d+/ },
  // metadata.js: "<role> was signed by 0/1 keys"; key.js: "failed to verify <keyid> signature".
  {
    code: 'bad_signature',
    text: /was signed by \d+\/\d+ keys|failed to verify \S+ signature|no signature for key/,
  },
  // file.js: "Expected hash ... but got ...", "Expected length ..."; fetcher.js: "Max length reached"; store.js:
  // "Snapshot version doesn't match timestamp", "Version 2 of targets does not match snapshot version 3".
  {
    code: 'tampered',
    text: /Expected (hash|length)|Max length reached|doesn't match timestamp|does not match snapshot version|JSON/,
  },
];

/** The FleetError for an error thrown by tuf-js's Updater (`verification_failed` for one not in the table). */
export function tufRefusal(error: unknown): FleetError {
  if (error instanceof FleetError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = TUF_REFUSALS.find(({ text }) => text.test(message))?.code ?? 'verification_failed';
  return new FleetError(code, `TUF refused the channel's metadata: ${message}`, { cause: error });
}
