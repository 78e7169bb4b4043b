import type { HealthReport } from '@cavra/daemon-client';
import type { DaemonConfig } from './daemon-config.js';
import type { EvidenceLog } from './evidence-log.js';
import type { FleetConfig } from './fleet-config.js';
import type { startFollower as startFollowerType } from './fleet-follower.js';
import { FleetPolicy, type FleetPolicyHost } from './fleet-policy.js';

/**
 * A fleet daemon's policy and its follower, which the daemon imports only when its config has a `fleet:` section.
 * The policy (bundle on disk, revisions, staleness) loads with the daemon; the follower, and with it the NATS
 * client, only once the daemon listens: a daemon starts and decides with its last good bundle while NATS is down.
 */
export interface FleetMode {
  readonly policy: FleetPolicy;
  /**
   * Starts following the channel (connect, head, watch, poll) and the heartbeat, and pruning the evidence log's
   * receipted segments over the same connection; never waits for NATS.
   */
  follow(health: () => HealthReport, evidence: EvidenceLog): void;
  close(): Promise<void>;
}

/** How often the receipt is read to prune the evidence log: a tenth of the shortest prune_delay. */
const PRUNE_EVERY_MS = 60_000;

export async function openFleetMode(
  config: DaemonConfig & { readonly fleet: FleetConfig },
  daemonId: string,
  host: FleetPolicyHost,
): Promise<FleetMode> {
  const policy = await FleetPolicy.open(config.fleet, host);
  let follower: Promise<Awaited<ReturnType<typeof startFollowerType>> | undefined> | undefined;
  let pruner: Promise<{ close(): Promise<void> } | undefined> | undefined;
  return {
    policy,
    follow(health, evidence) {
      follower = import('./fleet-follower.js')
        .then(({ startFollower }) =>
          startFollower({ config: config.fleet, daemonId, policy, health, logger: host.logger }),
        )
        .catch((error: Error) => {
          host.logger.error('fleet: the follower did not start', { error: error.message });
          policy.connection(false, `follower_failed: ${error.message}`);
          return undefined;
        });
      pruner = import('./fleet-evidence-prune.js')
        .then(({ startPruner, receiptReader }) =>
          startPruner({
            log: evidence,
            config: config.fleet.evidence,
            daemonId,
            now: () => host.clock().getTime(),
            logger: host.logger,
            readReceipt: receiptReader(daemonId, async () => (await follower)?.connection()),
            everyMs: PRUNE_EVERY_MS,
          }),
        )
        .catch((error: Error) => {
          // Nothing is pruned then: the spool fills up and says so, it is never emptied unsafely.
          host.logger.error('fleet: the evidence pruner did not start', { error: error.message });
          return undefined;
        });
    },
    async close() {
      await (await pruner)?.close();
      await (await follower)?.close();
      policy.close();
    },
  };
}
