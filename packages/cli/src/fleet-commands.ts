import type { FleetConnectionOptions, FleetStatus } from '@cavra/fleet';
import { CliError, EXIT } from './cli-error.js';

// `cavra fleet`: each command computes a result (a value), printed by the renderers (render-fleet.ts). The NATS
// client is imported only when a fleet command runs: the other commands start as fast as before.

/** What the fleet's servers answered: the value, or the FleetError's code and message. */
export type FleetResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** `cavra fleet status`: every daemon's heartbeat and every channel's head, read through a read-only connection. */
export async function fleetStatus(connection: FleetConnectionOptions): Promise<FleetResult<FleetStatus>> {
  const { connectFleet, FleetError, readFleetStatus } = await import('@cavra/fleet');
  try {
    const fleet = await connectFleet({ ...connection, name: 'cavra fleet status' });
    try {
      return { ok: true, value: await readFleetStatus(fleet) };
    } finally {
      await fleet.close();
    }
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    // Bad flags are usage, not the fleet's answer.
    if (error.code === 'invalid_options') throw new CliError(EXIT.usage, `fleet status: ${error.message}`);
    return { ok: false, error: { code: error.code, message: error.message } };
  }
}
