import type { FleetSpoolHealth } from '@cavra/daemon-client';
import type { Decided } from './decide-request.js';
import type { EnforcementState } from './enforcement-state.js';
import type { EvidenceContractWarning } from './evidence-record.js';
import type { FleetSpoolConfig } from './fleet-config.js';
import { fleetBlock, SPOOL_FULL_RULE_ID } from './fleet-rule-ids.js';
import type { Logger } from './logger.js';

/** From this share of spool_max_bytes on, every decision's record carries SPOOL_WARNING and health says so. */
const WARNING_SHARE = 0.8;

/**
 * The warning a decision's record carries while the spool is past 80 %: in `contract_warnings`, the record's list of
 * what was tolerated, since the DecisionResponse on the wire has no field for it (health and the log say it too).
 */
export const SPOOL_WARNING: EvidenceContractWarning = {
  code: 'fleet_spool_high',
  path: 'fleet.evidence.spool_max_bytes',
};

/**
 * Room kept above spool_max_bytes (with `on_spool_full: block`) for what must still be recorded once the spool is
 * full: the `fleet.spool_full` blocks themselves, and events. Past it the log refuses to write, and a request is
 * answered as one the daemon could not decide (never allowed).
 */
export function spoolHeadroom(spoolMaxBytes: number): number {
  return Math.max(64 * 1024, Math.floor(spoolMaxBytes / 10));
}

/** The evidence log's options in fleet mode: segments, and the hard limit with `on_spool_full: block`. */
export function spoolSegments(config: FleetSpoolConfig): { maxBytes: number; limitBytes?: number } {
  return {
    maxBytes: config.segmentMaxBytes,
    ...(config.onSpoolFull === 'block'
      ? { limitBytes: config.spoolMaxBytes + spoolHeadroom(config.spoolMaxBytes) }
      : {}),
  };
}

/**
 * How full the spool is, read on every decision: past 80 % a warning in each record, past 100 % (with `block`) a
 * recorded `fleet.spool_full` block instead of the policy's decision. Changes of level are logged once each.
 */
export class SpoolGauge {
  readonly #config: FleetSpoolConfig;
  readonly #log: { readonly spoolBytes: number };
  readonly #logger: Logger;
  #level: FleetSpoolHealth['level'] = 'ok';

  constructor(config: FleetSpoolConfig, log: { readonly spoolBytes: number }, logger: Logger) {
    this.#config = config;
    this.#log = log;
    this.#logger = logger;
  }

  /** The state a request is decided with: the policy's, or with `block` a spool-full block once the spool is full. */
  gate(state: EnforcementState): EnforcementState {
    const level = this.#read();
    if (level !== 'full' || this.#config.onSpoolFull !== 'block' || state.block) return state;
    return {
      ...state,
      block: fleetBlock(
        SPOOL_FULL_RULE_ID,
        `the evidence spool holds ${this.#log.spoolBytes} bytes, spool_max_bytes is ${this.#config.spoolMaxBytes}: nothing is decided until shipped evidence is pruned (on_spool_full: block)`,
      ),
    };
  }

  /** The decision as recorded: past 80 %, its record carries SPOOL_WARNING. */
  mark(decided: Decided): Decided {
    if (this.#level === 'ok') return decided;
    const warnings = decided.evidence.contract_warnings ?? [];
    return { ...decided, evidence: { ...decided.evidence, contract_warnings: [...warnings, SPOOL_WARNING] } };
  }

  health(): FleetSpoolHealth {
    this.#read();
    return {
      level: this.#level,
      bytes: this.#log.spoolBytes,
      max_bytes: this.#config.spoolMaxBytes,
      on_spool_full: this.#config.onSpoolFull,
    };
  }

  #read(): FleetSpoolHealth['level'] {
    const bytes = this.#log.spoolBytes;
    const max = this.#config.spoolMaxBytes;
    const level = bytes >= max ? 'full' : bytes >= max * WARNING_SHARE ? 'warning' : 'ok';
    if (level !== this.#level) {
      const fields = { bytes, spool_max_bytes: max, on_spool_full: this.#config.onSpoolFull };
      if (level === 'ok') this.#logger.info('fleet: the evidence spool is below 80 % again', fields);
      else
        this.#logger.warn(`fleet: the evidence spool is ${level === 'full' ? 'full' : 'past 80 %'}`, fields);
      this.#level = level;
    }
    return level;
  }
}
