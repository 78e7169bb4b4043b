import { parseDuration } from '@cavra/approvals';
import type { FleetHealthReport, HealthReport } from '@cavra/daemon-client';
import type { Fleet } from '@cavra/fleet';
import type { DaemonConfig } from './daemon-config.js';
import type { EvidenceLog } from './evidence-log.js';
import type { FleetConfig } from './fleet-config.js';
import type { EvidenceShipping } from './fleet-evidence-shipping.js';
import { FleetPolicy, type FleetPolicyHost } from './fleet-policy.js';
import { NotShippedError } from './not-shipped-error.js';

/**
 * A fleet daemon's policy and its follower, which the daemon imports only when its config has a `fleet:` section.
 * The policy (bundle on disk, revisions, staleness) loads with the daemon; the follower, and with it the NATS
 * client, only once the daemon listens: a daemon starts and decides with its last good bundle while NATS is down.
 */
export interface FleetMode {
  readonly policy: FleetPolicy;
  /**
   * Starts following the channel (connect, head, watch, poll) and the heartbeat, shipping `log` (unless
   * `evidence.ship: false`), and pruning its receipted segments over the same connection; never waits for NATS.
   */
  follow(health: () => HealthReport, log: EvidenceLog): void;
  /**
   * With `ship_mode: sync`: resolves once the stream acknowledged record `seq`; a NotShippedError after
   * `drain_timeout`. Undefined otherwise.
   */
  readonly syncShipping: ((seq: number) => Promise<void>) | undefined;
  /** Ships what the log holds, waiting at most `drain_timeout`; logs and resolves the records left unshipped. */
  drain(): Promise<number>;
  /** The bundle's health, and the shipper's once it is loaded. */
  health(): FleetHealthReport;
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
  let follower: Promise<{ close(): Promise<void> } | undefined> | undefined;
  let pruner: Promise<{ wake(): Promise<void>; close(): Promise<void> } | undefined> | undefined;
  /** The follower's connection, once there is one (the pruner reads its receipt over it). */
  let connection: Fleet | undefined;
  let shipping: Promise<EvidenceShipping | undefined> = Promise.resolve(undefined);
  /** The shipper, once loaded: health reads it without waiting. */
  let loaded: EvidenceShipping | undefined;
  const { evidence } = config.fleet;
  const drainMs = parseDuration(evidence.drainTimeout) * 1000;
  return {
    policy,
    syncShipping:
      evidence.ship && evidence.shipMode === 'sync'
        ? async (seq) => {
            try {
              await (await shipping)?.shipped(seq, drainMs);
            } catch (error) {
              throw new NotShippedError(
                `the decision was recorded but not acknowledged by the fleet stream in time (ship_mode: sync): ${(error as Error).message}`,
              );
            }
          }
        : undefined,
    async drain() {
      const unshipped = (await (await shipping)?.drain(drainMs)) ?? 0;
      if (unshipped > 0)
        host.logger.error('fleet: evidence records not shipped at stop', {
          unshipped,
          drain_timeout: evidence.drainTimeout,
        });
      return unshipped;
    },
    health() {
      return { ...policy.health(), ...(loaded ? { evidence_shipping: loaded.health() } : {}) };
    },
    follow(health, log) {
      shipping = evidence.ship
        ? import('./fleet-evidence-shipping.js')
            .then(({ createEvidenceShipping }) => {
              loaded = createEvidenceShipping({
                config: evidence,
                stateDir: config.fleet.stateDir,
                daemonId,
                log,
                logger: host.logger,
              });
              return loaded;
            })
            .catch((error: Error) => {
              // The daemon decides and records on; the log ships once a daemon with a working shipper runs on it.
              host.logger.error('fleet: the evidence shipper did not start', { error: error.message });
              return undefined;
            })
        : Promise.resolve(undefined);
      follower = Promise.all([import('./fleet-follower.js'), shipping])
        .then(([{ startFollower }, shipper]) =>
          startFollower({
            config: config.fleet,
            daemonId,
            policy,
            health,
            logger: host.logger,
            onConnected: (fleet) => {
              connection = fleet;
              shipper?.connected(fleet);
              void pruner?.then((started) => started?.wake());
            },
          }),
        )
        .catch((error: Error) => {
          host.logger.error('fleet: the follower did not start', { error: error.message });
          policy.connection(false, `follower_failed: ${error.message}`);
          return undefined;
        });
      pruner = import('./fleet-evidence-prune.js')
        .then(({ startPruner, receiptReader }) =>
          startPruner({
            log,
            config: evidence,
            daemonId,
            now: () => host.clock().getTime(),
            logger: host.logger,
            readReceipt: receiptReader(daemonId, () => connection),
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
      await (await shipping)?.close();
      await (await follower)?.close();
      policy.close();
    },
  };
}
