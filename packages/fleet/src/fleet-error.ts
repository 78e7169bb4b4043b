import { shareInstanceof } from '@cavra/contracts';

/**
 * Every refusal of fleet mode, with its public-safe default message: the one table the daemon's evidence
 * (`bundle_refused` records), its health report and the CLI's output name. Add new codes here, never elsewhere.
 */
export const FLEET_ERROR_CODES = {
  // Connection (connectFleet).
  invalid_options: 'the fleet connection options are not valid',
  credentials_missing: 'an environment variable or file named for the NATS credentials is missing or empty',
  nats_unreachable: 'no NATS server of the list could be reached',
  nats_auth_failed: 'the NATS servers refused the credentials',
  permission_denied: 'the NATS user is not allowed this operation',
  jetstream_unavailable: 'JetStream is not enabled for this NATS account',
  nats_timeout: 'the NATS servers did not answer in time',
  nats_error: 'the NATS servers answered with an error',
  fetch_timeout: 'the bundle fetch did not finish within its timeout and was abandoned',
  bucket_missing: 'a fleet bucket does not exist: a publisher creates them (connectFleet with createBuckets)',
  // Bundles (initChannelTrust, publishBundle, fetchVerifiedBundle, rotateChannelKeys).
  invalid_channel: 'the channel name is not valid (lower-case letters, digits, - and _, at most 64)',
  unknown_channel: 'the channel has no signed metadata in the bundle store',
  channel_exists: 'the channel already has trust keys in this folder',
  keys_invalid: 'the channel keys folder or the trusted root is missing, unreadable or not this channel’s',
  tampered: 'a bundle or metadata file does not match the length or hash its signed metadata names',
  bad_signature: 'metadata is not signed by enough trusted keys',
  rollback: 'metadata is older than the version already trusted',
  expired: 'signed metadata has expired',
  verification_failed: 'the bundle’s TUF metadata could not be verified',
  no_bundle: 'the channel’s signed targets name no bundle',
  invalid_bundle: 'the bundle is not a valid cavra.fleet.bundle.v1 document',
  wrong_channel: 'the bundle or the trusted root names another channel',
  older_revision: 'the bundle revision is not newer than the one already active or published',
  invalid_pack: 'a pack of the bundle fails validation',
  missing_pack: 'the bundle manifest names a pack file the bundle does not hold',
  no_packs: 'no pack file was given',
  // Status (startHeartbeat, readFleetStatus).
  invalid_heartbeat: 'the heartbeat is not valid',
} as const;

export type FleetErrorCode = keyof typeof FLEET_ERROR_CODES;

/**
 * A refused fleet operation. The message is public-safe: a fixed text of the table, or one given by this package
 * naming only identifiers and servers; never a password, a token or a credentials file's content.
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

/** True when `value` is one of the table's codes (for codes read back from evidence or status records). */
export function isFleetErrorCode(value: unknown): value is FleetErrorCode {
  return typeof value === 'string' && Object.hasOwn(FLEET_ERROR_CODES, value);
}
