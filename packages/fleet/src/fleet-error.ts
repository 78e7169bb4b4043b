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
  nats_error: 'the NATS servers answered with an error',
  bucket_missing: 'a fleet bucket does not exist: a publisher creates them (connectFleet with createBuckets)',
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
