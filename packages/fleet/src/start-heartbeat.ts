import type { Fleet } from './connect-fleet.js';
import { FleetError } from './fleet-error.js';
import { type DaemonSnapshot, HEARTBEAT_SCHEMA, type Heartbeat } from './heartbeat.js';
import { toFleetError } from './nats-failure.js';

/** Options of {@link startHeartbeat}. */
export interface HeartbeatOptions {
  fleet: Fleet;
  /** The daemon's id: its key in `cavra_fleet_status`. */
  daemonId: string;
  /** The daemon's state now; called at each write, off the decision path, so it must only read fields. */
  snapshot: () => DaemonSnapshot;
  /** Time between writes when nothing changes (default 30 000 ms). */
  intervalMs?: number;
  /** Told of each failed write (the heartbeat keeps going: the next write may succeed). */
  onError?: (error: FleetError) => void;
}

/** A running heartbeat. */
export interface HeartbeatHandle {
  /** The daemon's state changed: write soon (writes are never concurrent; changes during a write make one more). */
  changed(): void;
  /** The written heartbeats, counted (for health reports and tests). */
  readonly written: number;
  /** Stops the timer and waits for the write in progress. */
  stop(): Promise<void>;
}

// A KV key: NATS subject tokens, no wildcards, no leading or trailing dot.
const KV_KEY = /^[-/=\w]+(?:\.[-/=\w]+)*$/;

/**
 * Writes the daemon's heartbeat to `cavra_fleet_status` now, then every `intervalMs` and after each `changed()`.
 * Nothing here runs on the decision path: the daemon calls `changed()`, which only schedules a write.
 */
export function startHeartbeat(options: HeartbeatOptions): HeartbeatHandle {
  const { fleet, daemonId, snapshot, onError } = options;
  const intervalMs = options.intervalMs ?? 30_000;
  if (typeof daemonId !== 'string' || !KV_KEY.test(daemonId))
    throw new FleetError('invalid_heartbeat', `daemon id ${JSON.stringify(daemonId)} cannot be a status key`);
  if (!Number.isInteger(intervalMs) || intervalMs < 100)
    throw new FleetError('invalid_heartbeat', `intervalMs must be an integer ≥ 100, got ${intervalMs}`);

  let written = 0;
  let stopped = false;
  let again = false;
  let writing: Promise<void> | undefined;

  const write = async () => {
    const record: Heartbeat = {
      ...snapshot(),
      schema: HEARTBEAT_SCHEMA,
      daemon_id: daemonId,
      sent_at: new Date().toISOString(),
    };
    try {
      await fleet.fleetStatus.put(daemonId, JSON.stringify(record));
      written++;
    } catch (error) {
      onError?.(toFleetError(error));
    }
  };
  const schedule = () => {
    if (stopped) return;
    if (writing) {
      again = true;
      return;
    }
    writing = (async () => {
      do {
        again = false;
        await write();
      } while (again && !stopped);
      writing = undefined;
    })();
  };

  const timer = setInterval(schedule, intervalMs);
  timer.unref(); // The heartbeat never keeps a process alive.
  schedule();
  return {
    changed: schedule,
    get written() {
      return written;
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await writing;
    },
  };
}
