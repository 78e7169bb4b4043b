import type { Hono } from 'hono';
import { ConsoleError } from './console-error.js';
import type { ConsoleOptions } from './console-options.js';
import type { ConsoleEnv } from './request-guard.js';

/** The fleet route: every daemon's heartbeat and every channel's head. NATS code is loaded only when configured. */
export function fleetApi(app: Hono<ConsoleEnv>, options: ConsoleOptions) {
  app.get('/api/fleet', async (c) => {
    if (!options.fleet) throw new ConsoleError('fleet_not_configured');
    const { connectFleet, FleetError, readFleetStatus, shippingLag } = await import('@cavra/fleet');
    try {
      const fleet = await connectFleet({ ...options.fleet, name: 'cavra console' });
      try {
        const status = await readFleetStatus(fleet);
        // The lag as `cavra fleet status` words it: the page draws it without a copy of that wording.
        return c.json({
          ...status,
          daemons: status.daemons.map((daemon) => ({
            ...daemon,
            shipping_lag: shippingLag(daemon.heartbeat),
          })),
        });
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
