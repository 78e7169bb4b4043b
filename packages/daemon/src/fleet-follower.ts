import { join } from 'node:path';
import { parseDuration } from '@cavra/approvals';
import type { HealthReport } from '@cavra/daemon-client';
import {
  type BundleHead,
  connectFleet,
  type DaemonSnapshot,
  type Fleet,
  FleetError,
  fetchVerifiedBundle,
  type HeartbeatHandle,
  startHeartbeat,
} from '@cavra/fleet';
import { type FleetConfig, fleetConnectOptions } from './fleet-config.js';
import type { FleetPolicy } from './fleet-policy.js';
import type { Logger } from './logger.js';

export interface FollowerOptions {
  readonly config: FleetConfig;
  readonly daemonId: string;
  readonly policy: FleetPolicy;
  readonly health: () => HealthReport;
  readonly logger: Logger;
  /** Called once, when the connection is first made (the evidence shipper starts on it). */
  readonly onConnected?: (fleet: Fleet) => void;
  /** Heartbeat period; default 30 s. */
  readonly heartbeatMs?: number;
}

// Connection attempts back off from 1 s to 30 s (with jitter): a fleet of daemons must not retry in step.
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
// The heartbeat after an activation is written within this spread (see fetchOnce).
const HEARTBEAT_SPREAD_MS = 1000;
// The poll's jitter: up to a fifth of the interval, added.
const POLL_JITTER = 0.2;
// A fetch the store could not answer (a node lost, leaders being elected, a fetch abandoned at fetch_timeout) is
// tried again after 1 to 2 s, doubling with each failure in a row up to RETRY_MAX_MS.
const UNAVAILABLE_RETRY_MS = 1000;
/**
 * FleetError codes that say NATS could not be asked, not that a bundle is bad (fleet-error.ts of @cavra/fleet): the
 * fetch is retried and health says so, but nothing is recorded as a refusal.
 */
const NOT_ASKED: ReadonlySet<string> = new Set([
  'nats_unreachable', // no server answered
  'nats_timeout', // a request timed out (a node lost, leaders being elected)
  'nats_error', // the server answered with an error of its own
  'fetch_timeout', // the fetch took longer than fetch_timeout (a server that stopped answering) and was abandoned
  'jetstream_unavailable', // JetStream off for the account
  'bucket_missing', // nothing published yet: no bucket to read
  'permission_denied', // the daemon's NATS user may not read the bundles
]);

/**
 * Follows the channel: connects (retrying while NATS is down), then on the connection and on every reconnect reads
 * the channel's head and fetches its newest verified bundle before watching the head (a watch alone misses what
 * changed while it was down), plus a slow poll with jitter, which also renews the bundle's expiry. Each fetched
 * bundle goes to the policy, which activates or refuses it. Runs beside the daemon, never on a decision's path.
 */
export async function startFollower(options: FollowerOptions): Promise<{ close(): Promise<void> }> {
  const { config, policy, logger } = options;
  const pollMs = parseDuration(config.pollInterval) * 1000;
  const fetchTimeoutMs = parseDuration(config.fetchTimeout) * 1000;
  let stopped = false;
  let fleet: Fleet | undefined;
  let heartbeat: HeartbeatHandle | undefined;
  let watch: { stop(): void } | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let fetchRetry: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  let again = false;
  /** The newest head the watch delivered since the last fetch began: its hint is read at once, its revision logged. */
  let woken: BundleHead | undefined;
  /** Fetches in a row the store could not answer: the retry backs off with them. */
  let unanswered = 0;

  /** One fetch at a time; asked again while one runs, it runs once more after it. */
  const check = (why: string): void => {
    if (stopped || !fleet) return;
    if (checking) {
      again = true;
      return;
    }
    checking = (async () => {
      do {
        again = false;
        await fetchOnce(why);
      } while (again && !stopped);
      checking = undefined;
    })();
  };

  const fetchOnce = async (why: string) => {
    const connected = fleet;
    if (!connected) return;
    const active = policy.activeRecord;
    const wake = woken;
    woken = undefined;
    // The head only names the revision in a refusal and in the log: the one that woke this fetch, else read beside
    // the fetch, not before it.
    const head = wake ? Promise.resolve(wake.revision) : headRevision(connected, config.channel);
    const started = Date.now();
    // Abandoned at fetch_timeout: awaited until it settles (at its next read of the store), so that no two fetches
    // ever write the TUF metadata folder at once.
    const abandon = new AbortController();
    const timer = setTimeout(
      () =>
        abandon.abort(
          new FleetError('fetch_timeout', `the fetch took longer than fetch_timeout ${config.fetchTimeout}`),
        ),
      fetchTimeoutMs,
    );
    try {
      const verified = await fetchVerifiedBundle({
        fleet: connected,
        channel: config.channel,
        trustedRootFile: config.trustRoot,
        metadataDir: join(config.stateDir, 'metadata'),
        targetDir: join(config.stateDir, 'targets'),
        ...(active ? { active: { revision: active.revision, digest: active.manifest_digest } } : {}),
        ...(wake ? { head: wake } : {}),
        signal: abandon.signal,
      });
      clearTimeout(timer);
      unanswered = 0;
      const fetched = Date.now();
      policy.connection(true);
      const outcome = await policy.offer(verified);
      // At a random moment of the next second: every daemon of the fleet activates a push at once, and their status
      // writes (each replicated to three servers) would otherwise compete with the fetches of those not done yet.
      if (outcome !== 'renewed')
        setTimeout(() => heartbeat?.changed(), Math.random() * HEARTBEAT_SPREAD_MS).unref();
      logger.info('fleet: bundle checked', {
        why,
        head: await head,
        revision: verified.revision,
        outcome,
        fetch_ms: fetched - started,
        refresh_ms: verified.timings.refreshMs,
        download_ms: verified.timings.downloadMs,
        stage_ms: verified.timings.stageMs,
        offer_ms: Date.now() - fetched,
      });
    } catch (error) {
      clearTimeout(timer);
      const failure = error instanceof FleetError ? error : undefined;
      if (failure && !NOT_ASKED.has(failure.code)) {
        unanswered = 0;
        await policy.refuse(failure.code, failure.message, await head);
        heartbeat?.changed();
      } else {
        unanswered += 1;
        // NATS unreachable mid-fetch: the last good bundle stays; the next (re)connect or poll tries again.
        policy.connection(false, `${failure?.code ?? 'nats_error'}: ${(error as Error).message}`);
        const delay = Math.min(
          RETRY_MAX_MS,
          UNAVAILABLE_RETRY_MS * 2 ** (unanswered - 1) * (1 + Math.random()),
        );
        logger.warn('fleet: the bundle store could not be read', {
          error: (error as Error).message,
          code: failure?.code ?? 'nats_error',
          retry_ms: Math.round(delay),
        });
        clearTimeout(fetchRetry);
        fetchRetry = setTimeout(() => check('retry'), delay);
        fetchRetry.unref();
      }
    }
  };

  const startWatch = async (connected: Fleet) => {
    // Forgotten before it is stopped, so that its ending is not taken for a lost watch.
    const previous = watch;
    watch = undefined;
    previous?.stop();
    const iterator = await connected.bundleHeads.watch({ key: config.channel });
    const current = { stop: () => iterator.stop() };
    watch = current;
    void (async () => {
      for await (const entry of iterator) {
        const head = worthFetching(entry, policy.activeRecord?.revision);
        if (head === undefined) continue;
        woken = head === true ? undefined : head;
        check('watch');
      }
    })()
      .catch(() => undefined)
      .then(() => {
        // A watch that ended by itself (its consumer lost with a server): read the head again, then a new watch.
        if (!stopped && watch === current && fleet === connected)
          setTimeout(() => void followFrom('rewatch'), 1000).unref();
      });
  };

  /** On the first connection and each reconnect: head and fetch first, then watch. */
  const followFrom = async (why: string) => {
    const connected = fleet;
    if (!connected || stopped) return;
    policy.connection(true);
    check(why);
    try {
      await startWatch(connected);
    } catch (error) {
      logger.warn('fleet: cannot watch the channel head; the poll goes on', {
        error: (error as Error).message,
      });
    }
  };

  const schedulePoll = () => {
    if (stopped) return;
    pollTimer = setTimeout(
      () => {
        check('poll');
        schedulePoll();
      },
      pollMs * (1 + Math.random() * POLL_JITTER),
    );
    pollTimer.unref();
  };

  const connect = async (attempt: number): Promise<void> => {
    if (stopped) return;
    try {
      fleet = await connectFleet(fleetConnectOptions(config.connection));
    } catch (error) {
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
      policy.connection(false, `${(error as FleetError).code ?? 'nats_error'}: ${(error as Error).message}`);
      if (attempt === 0)
        logger.warn('fleet: NATS is not reachable; deciding with the last good bundle, retrying', {
          error: (error as Error).message,
        });
      retryTimer = setTimeout(() => void connect(attempt + 1), delay);
      retryTimer.unref();
      return;
    }
    if (stopped) {
      await fleet.close().catch(() => undefined);
      return;
    }
    logger.info('fleet: connected', { servers: config.connection.servers, channel: config.channel });
    const connected = fleet;
    options.onConnected?.(connected);
    void (async () => {
      for await (const status of connected.nc.status()) {
        if (status.type === 'disconnect') policy.connection(false);
        else if (status.type === 'reconnect') void followFrom('reconnect');
      }
    })().catch(() => undefined);
    heartbeat = startHeartbeat({
      fleet: connected,
      daemonId: options.daemonId,
      snapshot: () => snapshot(options.health(), config),
      ...(options.heartbeatMs ? { intervalMs: options.heartbeatMs } : {}),
      onError: (error) => logger.warn('fleet: heartbeat not written', { error: error.message }),
    });
    await followFrom('connect');
  };

  schedulePoll();
  void connect(0);
  return {
    async close() {
      stopped = true;
      clearTimeout(pollTimer);
      clearTimeout(retryTimer);
      clearTimeout(fetchRetry);
      watch?.stop();
      await checking;
      await heartbeat?.stop();
      await fleet?.close().catch(() => undefined);
    },
  };
}

/** The revision the channel's head names; null when there is none or it cannot be read (a wake-up signal only). */
async function headRevision(fleet: Fleet, channel: string): Promise<number | null> {
  try {
    const head = await fleet.bundleHeads.get(channel);
    return head?.operation === 'PUT' ? Number(head.json<{ revision: number }>().revision) || null : null;
  } catch {
    return null;
  }
}

/**
 * Whether a head the watch delivered may name something newer than the active bundle: undefined when not, the head
 * when it may, true when it does not parse (fetched for all the same). Not when the head names a revision this
 * daemon already has, nor for a push's reservation (`reserved`: nothing newer is signed yet; the push writes the head
 * again once it is). These wake-ups would fetch the active bundle again, on every daemon at once, just when the real
 * one is coming; the poll still renews its expiry.
 */
function worthFetching(
  entry: { readonly operation: string; json<T>(): T },
  activeRevision: number | undefined,
): BundleHead | true | undefined {
  if (entry.operation !== 'PUT') return undefined;
  let head: Partial<BundleHead>;
  try {
    head = entry.json<Partial<BundleHead>>();
  } catch {
    return true;
  }
  if (head === null || typeof head !== 'object') return true;
  if (head.reserved === true) return undefined;
  if (typeof head.revision !== 'number') return true;
  return activeRevision !== undefined && head.revision <= activeRevision ? undefined : (head as BundleHead);
}

/** The heartbeat's view of the daemon, read from its health report. */
function snapshot(health: HealthReport, config: FleetConfig): DaemonSnapshot {
  const fleet = health.fleet;
  const shipping = fleet?.evidence_shipping;
  return {
    kind: config.kind,
    version: health.version,
    mode: health.mode,
    channel: config.channel,
    ...(fleet?.revision != null ? { revision: fleet.revision } : {}),
    bundle_state: fleet?.state ?? 'none',
    ...(fleet?.activated_at ? { activated_at: fleet.activated_at } : {}),
    decisions: health.counts.decisions,
    evidence_head: health.evidence.last_hash,
    evidence_seq: health.evidence.records,
    ...(shipping
      ? { evidence_shipping: { shipped_seq: shipping.shipped_seq, pending: shipping.pending } }
      : {}),
    ...(fleet?.last_error ? { last_error: fleet.last_error } : {}),
  };
}
