import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  ConnectionError,
  PermissionViolationError,
  TimeoutError,
} from '@nats-io/transport-node';
import { FleetError } from './fleet-error.js';

/** An error and its causes, innermost last (bounded: a cycle of causes cannot loop). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cause = error; cause !== undefined && chain.length < 8; cause = (cause as Error).cause)
    chain.push(cause);
  return chain;
}

/** Any NATS or JetStream failure (of a Fleet's buckets, used directly) as the FLEET_ERROR_CODES table names it. */
export function toFleetError(error: unknown): FleetError {
  if (error instanceof FleetError) return error;
  const message = (error as Error).message ?? String(error);
  // A denied JetStream API call comes back as a RequestError whose cause is the violation.
  if (causes(error).some((cause) => cause instanceof PermissionViolationError))
    return new FleetError('permission_denied', `the NATS user is not allowed this: ${message}`, {
      cause: error,
    });
  // The client's JetStreamNotEnabled class is not exported: its name is its public face. An account without
  // JetStream on a server with it answers the API code instead.
  if (
    (error as Error).name === 'JetStreamNotEnabled' ||
    (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.JetStreamNotEnabledForAccount)
  )
    return new FleetError(
      'jetstream_unavailable',
      `JetStream is not enabled for this NATS account (${message})`,
      {
        cause: error,
      },
    );
  // While the client reconnects (a node killed, a network cut) requests time out: the next attempt may pass.
  if (error instanceof TimeoutError) return new FleetError('nats_timeout', undefined, { cause: error });
  if (error instanceof ClosedConnectionError || error instanceof ConnectionError)
    return new FleetError('nats_unreachable', `the NATS connection is lost (${message})`, { cause: error });
  // Some errors carry no text (a JetStream API error without a description, say): their name and code, then.
  const code = (error as { code?: unknown }).code;
  const said =
    message || `${(error as Error).name ?? 'Error'}${code === undefined ? '' : ` ${String(code)}`}`;
  return new FleetError('nats_error', `the NATS servers answered with an error: ${said}`, {
    cause: error,
  });
}
