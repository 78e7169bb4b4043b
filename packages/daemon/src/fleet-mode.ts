import type { HealthReport } from '@cavra/daemon-client';
import type { DaemonConfig } from './daemon-config.js';
import type { FleetConfig } from './fleet-config.js';
import { FleetPolicy, type FleetPolicyHost } from './fleet-policy.js';

/**
 * A fleet daemon's policy and its follower, which the daemon imports only when its config has a `fleet:` section.
 * The policy (bundle on disk, revisions, staleness) loads with the daemon; the follower, and with it the NATS
 * client, only once the daemon listens: a daemon starts and decides with its last good bundle while NATS is down.
 */
export interface FleetMode {
  readonly policy: FleetPolicy;
  /** Starts following the channel (connect, head, watch, poll) and the heartbeat; never waits for NATS. */
  follow(health: () => HealthReport): void;
  close(): Promise<void>;
}

export async function openFleetMode(
  config: DaemonConfig & { readonly fleet: FleetConfig },
  daemonId: string,
  host: FleetPolicyHost,
): Promise<FleetMode> {
  const policy = await FleetPolicy.open(config.fleet, host);
  let follower: Promise<{ close(): Promise<void> } | undefined> | undefined;
  return {
    policy,
    follow(health) {
      follower = import('./fleet-follower.js')
        .then(({ startFollower }) =>
          startFollower({ config: config.fleet, daemonId, policy, health, logger: host.logger }),
        )
        .catch((error: Error) => {
          host.logger.error('fleet: the follower did not start', { error: error.message });
          policy.connection(false, `follower_failed: ${error.message}`);
          return undefined;
        });
    },
    async close() {
      await (await follower)?.close();
      policy.close();
    },
  };
}
