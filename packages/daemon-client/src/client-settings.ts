import { positiveInteger } from './call-deadline.js';
import { checkSocketTrust } from './socket-trust.js';

/**
 * How the client talks to the daemon. `v1`: our envelope (`{"v":1,"id",...}`), one persistent, pipelined
 * connection, health. `upstream`: upstream CAVRA's transport, one bare EvaluateRequest per connection and one bare
 * DecisionResponse back; no health, no correlation id. Our daemon answers both; upstream's Go daemon only the second.
 */
export type DaemonProtocol = 'v1' | 'upstream';

export interface DaemonClientOptions {
  readonly socketPath: string;
  /** Default `v1`. Never detected: see the README ("Using with the upstream Go daemon"). */
  readonly protocol?: DaemonProtocol;
  /** Per-call timeout; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Largest frame sent or accepted; default 1 MiB, the daemon's default. */
  readonly maxFrameBytes?: number;
  /**
   * The uid that must own the socket and its folder (neither writable by group or others); default this process's
   * uid. `null` turns the check off (only for a socket whose folder you secure otherwise).
   */
  readonly expectedOwnerUid?: number | null;
  /**
   * Pin the daemon's default pack: a request without `policy_pack` must then be answered by this pack. Unset (the
   * default): whatever pack the daemon is configured to decide such requests with; the answer's `policy_pack` and
   * `policy_id` name it. A pack named in the request must come back as itself either way.
   */
  readonly defaultPolicyPack?: string;
  /**
   * v1: how long a call that refused the daemon's answer waits, at most, for the daemon to record the refusal (see the
   * README, "Refusals on record") before it fails; default 500 ms. The call fails either way.
   */
  readonly refusalReportTimeoutMs?: number;
}

/** The options every client takes, checked, with their defaults. */
export interface ClientSettings {
  readonly socketPath: string;
  readonly timeoutMs: number;
  readonly maxFrameBytes: number;
  readonly reportMs: number;
  /** Refuses a socket the client cannot trust (checkSocketTrust with the expected owner). */
  readonly trust: () => Promise<void>;
}

/** Checks the options (TypeError for a bad one) and fills in the defaults. */
export function clientSettings(options: DaemonClientOptions): ClientSettings {
  if (typeof options.socketPath !== 'string' || options.socketPath === '') {
    throw new TypeError('socketPath must be a non-empty string');
  }
  const protocol = options.protocol ?? 'v1';
  if (protocol !== 'v1' && protocol !== 'upstream') {
    throw new TypeError(`protocol must be 'v1' or 'upstream', got ${String(protocol)}`);
  }
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 5000);
  const maxFrameBytes = positiveInteger('maxFrameBytes', options.maxFrameBytes ?? 1024 * 1024);
  const reportMs = positiveInteger('refusalReportTimeoutMs', options.refusalReportTimeoutMs ?? 500);
  const expectedUid =
    options.expectedOwnerUid === null
      ? undefined
      : options.expectedOwnerUid === undefined
        ? process.getuid?.()
        : nonNegativeInteger('expectedOwnerUid', options.expectedOwnerUid);
  const socketPath = options.socketPath;
  return {
    socketPath,
    timeoutMs,
    maxFrameBytes,
    reportMs,
    trust: () => checkSocketTrust(socketPath, expectedUid),
  };
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer or null, got ${String(value)}`);
  }
  return value;
}
