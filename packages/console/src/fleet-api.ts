import type { Hono } from 'hono';
import { ConsoleError } from './console-error.js';
import type { ConsoleOptions } from './console-options.js';
import type { ConsoleEnv } from './request-guard.js';

/** The fleet route: every daemon's heartbeat and every channel's head. NATS code is loaded only when configured. */
export function fleetApi(app: Hono<ConsoleEnv>, options: ConsoleOptions) {
  app.get('/api/fleet', async (c) => {
    if (!options.fleet) throw new ConsoleError('fleet_not_configured');
    const { connectFleet, FleetError, readFleetStatus } = await import('@cavra/fleet');
    try {
      const fleet = await connectFleet({ ...options.fleet, name: 'cavra console' });
      try {
        return c.json(await readFleetStatus(fleet));
      } finally {
        await fleet.close();
      }
    } catch (error) {
      if (error instanceof FleetError)
        throw new ConsoleError('fleet_unavailable', `${error.code}: ${error.message}`);
      throw error;
    }
  });
}
