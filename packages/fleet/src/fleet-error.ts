import { shareInstanceof } from '@cavra/contracts';

/**
 * Every refusal of fleet mode, with its public-safe default message: the one table the CLI's output, the daemon's
 * `bundle_refused` evidence records and its health name.
 */
export const FLEET_ERROR_CODES = {
  invalid_channel: 'the channel name is not valid (lower-case letters, digits, `-` and `_`, at most 64)',
  unknown_channel: 'the channel has no signed metadata in the bundle store',
  channel_exists: 'the channel already has trust keys in this folder',
  keys_invalid: 'the channel keys folder is missing a key or holds an unreadable one',
  tampered: 'a bundle or metadata file does not match the length or hash its signed metadata names',
  bad_signature: 'metadata is not signed by enough trusted keys',
  rollback: 'metadata is older than the version already trusted',
  expired: 'signed metadata has expired',
  verification_failed: 'the bundle’s TUF metadata could not be verified',
  no_bundle: 'the channel’s signed targets name no bundle',
  invalid_bundle: 'the bundle is not a valid cavra.fleet.bundle.v1 document',
  wrong_channel: 'the bundle names another channel',
  older_revision: 'the bundle revision is not newer than the one already active or published',
  invalid_pack: 'a pack of the bundle fails validation',
  missing_pack: 'the bundle manifest names a pack file the bundle does not hold',
  no_packs: 'no pack file was given',
  unavailable: 'the NATS bundle store cannot be reached',
} as const;

export type FleetErrorCode = keyof typeof FLEET_ERROR_CODES;

/**
 * A refused fleet operation. The message is public-safe: a fixed text of the table, or one naming only channels,
 * revisions, file names and library messages about them; never a key.
 */
export class FleetError extends Error {
  readonly code: FleetErrorCode;

  constructor(code: FleetErrorCode, message: string = FLEET_ERROR_CODES[code], options?: ErrorOptions) {
    super(message, options);
    this.name = 'FleetError';
    this.code = code;
  }
}
shareInstanceof(FleetError, '@cavra/fleet.FleetError');

/** True when `value` is one of the table's codes (for codes read back from evidence or the wire). */
export function isFleetErrorCode(value: unknown): value is FleetErrorCode {
  return typeof value === 'string' && Object.hasOwn(FLEET_ERROR_CODES, value);
}
