import type { KeyObject } from 'node:crypto';
import type { ApprovalState, ApprovalStatus } from '@cavra/approvals/wire';
import type { VerifyOptions } from '@cavra/daemon';
import type { FleetConnectionOptions } from '@cavra/fleet';

/** A review the approver asked for in the page, to be signed by the operator's identity. */
export interface ReviewToSign {
  readonly id: string;
  readonly verdict: 'approve' | 'deny';
  /** `once`, `session` or `ttl:<duration>`; absent: the daemon's default (`once`). */
  readonly scope?: string;
  readonly reason?: string;
}

/** One decision that a replay changed. */
export interface ReplayChange {
  readonly seq: number;
  readonly actionType: string;
  readonly target: string;
  readonly recorded: { readonly decision: string; readonly ruleId: string };
  readonly replayed: { readonly decision: string; readonly ruleId: string };
}

/** What replaying a pack over the evidence log found. */
export interface ReplayOutcome {
  /** Records replayed. */
  readonly replayed: number;
  readonly changed: readonly ReplayChange[];
  /** Records not replayed, counted by reason. */
  readonly skipped: Readonly<Record<string, number>>;
}

/**
 * Where the approvals inbox reads and reviews requests when it is not the daemon's socket: the fleet's approval
 * store (`cavra console --nats --config` with `approvals: { store: fleet }`). Refusals are ConsoleErrors
 * (`unknown_approval`, `approval_refused` with its reason, `fleet_unavailable`, `invalid_review`).
 */
export interface ApprovalSource {
  /** Named on the page and in the start banner (e.g. "the fleet's approval store"). */
  readonly name: string;
  list(filter: { readonly status: ApprovalStatus; readonly group?: string }): Promise<ApprovalState[]>;
  show(id: string): Promise<ApprovalState>;
  /** Signs the review as the operator's identity, verifies it as the requesting daemons do, and applies it. */
  readonly review?: (review: ReviewToSign) => Promise<ApprovalState>;
}

/** Who reviews in this console: shown on the page; `groups` (when known) choose the approvals inbox's requests. */
export interface ConsoleApprover {
  readonly id: string;
  readonly groups?: readonly string[];
}

export interface ConsoleOptions {
  /** The daemon's socket, to read and review approval requests; absent (and no `approvalSource`): no approvals view. */
  readonly socketPath?: string;
  /** Read and review approval requests here instead of through the daemon's socket (the fleet's store). */
  readonly approvalSource?: ApprovalSource;
  /** The daemon's evidence log; absent: no evidence view. */
  readonly evidenceLog?: string;
  /** How to verify the log's chain (e.g. its HMAC key): verifyEvidenceLog's options. */
  readonly verify?: VerifyOptions;
  /** The fleet's NATS connection; absent: no fleet view (`@cavra/fleet` is then never loaded). */
  readonly fleet?: FleetConnectionOptions;
  /**
   * The central evidence verifier's Ed25519 public key (PEM or KeyObject): with `fleet` and `evidenceLog`, the evidence
   * view shows the latest receipt for the log's daemon as verified only when it verifies with this key.
   */
  readonly receiptKey?: string | KeyObject;
  /** The operator's approver identity, as configured. */
  readonly approver?: ConsoleApprover;
  /**
   * Signs a review as the operator's identity (a compact JWS the daemon verifies: `cavra approval approve` signs
   * the same way). A thrown Error is the reason it cannot be signed (a bad scope, an expired ID token), shown as is.
   */
  readonly sign?: (review: ReviewToSign) => Promise<string>;
  /** Replays a pack file over the evidence log (the `cavra policy replay` engine); a thrown Error is shown as is. */
  readonly replay?: (request: {
    readonly pack: string;
    readonly evidenceLog: string;
  }) => Promise<ReplayOutcome>;
  /** Port to listen on; 0 (default): a free one. */
  readonly port?: number;
  /** Address to listen on; default 127.0.0.1. Any other than a loopback address needs `tls`. */
  readonly host?: string;
  /** PEM certificate and key: the console then serves HTTPS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/** A running console. */
export interface RunningConsole {
  /** The URL to open, with the one-time login token in its fragment (`#token=...`). */
  readonly url: string;
  /** The console's origin (`http://127.0.0.1:<port>`). */
  readonly origin: string;
  /** The one-time login token. */
  readonly token: string;
  close(): Promise<void>;
}
