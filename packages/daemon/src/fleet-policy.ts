import { parseDuration } from '@cavra/approvals';
import type { FleetHealthReport } from '@cavra/daemon-client';
import type { CompiledPolicyPack, RuleOutcome } from '@cavra/runtime';
import type { DaemonConfig } from './daemon-config.js';
import { type EnforcementState, loadEnforcementState, type StateOptions } from './enforcement-state.js';
import type { FleetEvidenceEvent } from './evidence-record.js';
import { type ActiveBundle, readActive, type VerifiedBundle, writeActive } from './fleet-bundle-store.js';
import type { FleetConfig } from './fleet-config.js';
import { FLEET_POLICY_ID, NO_BUNDLE_RULE_ID, STALE_BUNDLE_RULE_ID } from './fleet-rule-ids.js';
import type { Logger } from './logger.js';

/** What the fleet policy needs of the daemon to load a policy: its clock, its log, how it loads state. */
export interface FleetPolicyHost {
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly stateOptions: StateOptions;
}

/** And once the daemon has opened its evidence log: the log, and its one place to swap state. */
export interface FleetDaemonHooks {
  readonly record: (event: FleetEvidenceEvent) => Promise<unknown>;
  /** Runs a change of state in the daemon's reload turn (reloads and activations take turns). */
  readonly turn: <T>(task: () => Promise<T>) => Promise<T>;
  readonly current: () => EnforcementState;
  readonly install: (state: EnforcementState) => void;
}

const MAX_REASON = 512;
// setTimeout's longest delay; a later moment is reached by re-arming.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The daemon's policy in fleet mode: the active bundle kept on disk, the rule that only a newer revision replaces it
 * (the same revision only with the same digest, which renews its expiry), staleness, and the evidence of each
 * activation and refusal. NATS is the follower's business: this part runs, and decides, without it.
 */
export class FleetPolicy {
  readonly #config: FleetConfig;
  readonly #host: FleetPolicyHost;
  #hooks: FleetDaemonHooks | undefined;
  #active: ActiveBundle | undefined;
  #bootstrap = false;
  #lastError: string | undefined;
  #connected = false;
  #lastRefused: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The daemon config of the last start or reload: an activation keeps its settings, and takes the bundle's packs. */
  #daemon: DaemonConfig | undefined;
  readonly #maxStalenessMs: number;

  private constructor(config: FleetConfig, host: FleetPolicyHost, active: ActiveBundle | undefined) {
    this.#config = config;
    this.#host = host;
    this.#active = active;
    this.#maxStalenessMs = parseDuration(config.maxStaleness) * 1000;
  }

  /** Reads the active bundle's record; an unreadable one is kept as the last error and decides nothing (blocks). */
  static async open(config: FleetConfig, host: FleetPolicyHost): Promise<FleetPolicy> {
    let active: ActiveBundle | undefined;
    let error: string | undefined;
    try {
      active = await readActive(config.stateDir);
    } catch (failure) {
      error = `the active bundle's record cannot be read: ${(failure as Error).message}`;
    }
    const policy = new FleetPolicy(config, host, active);
    policy.#lastError = error;
    return policy;
  }

  /** Called once the daemon's evidence log is open, before anything is offered. */
  attach(hooks: FleetDaemonHooks): void {
    this.#hooks = hooks;
  }

  get #daemonHooks(): FleetDaemonHooks {
    if (!this.#hooks) throw new Error('fleet policy used before the daemon attached its evidence log');
    return this.#hooks;
  }

  get channel(): string {
    return this.#config.channel;
  }

  /** The bundle in force, as recorded on disk. */
  get activeRecord(): ActiveBundle | undefined {
    return this.#active;
  }

  /**
   * The state to decide with, for the daemon's start and reloads: the active bundle's packs; else the bootstrap pack;
   * else a block of every request. A bundle on disk that no longer loads blocks too, never an older policy.
   */
  async loadState(next: DaemonConfig): Promise<EnforcementState> {
    const active = this.#active;
    if (active) {
      try {
        const state = await this.#packState(next, active.files);
        this.#armStaleTimer();
        return this.#withStaleness({
          ...state,
          bundle: { channel: active.channel, revision: active.revision },
        });
      } catch (error) {
        this.#lastError = `the active bundle (revision ${active.revision}) on disk does not load: ${(error as Error).message}`;
        this.#host.logger.error('fleet: the active bundle does not load; blocking every request', {
          error: this.#lastError,
        });
        return this.#blockState(next, this.#lastError);
      }
    }
    if (this.#config.bootstrapPack) {
      this.#bootstrap = true;
      return this.#packState(next, [this.#config.bootstrapPack]);
    }
    return this.#blockState(next, this.#lastError ?? 'no bundle of its channel was ever activated');
  }

  /**
   * A verified bundle from the follower: activated when it is newer than the active one, its expiry taken when it is
   * the active one, otherwise refused. Activation and refusal are recorded; nothing here throws for a bad bundle.
   */
  offer(verified: VerifiedBundle): Promise<'activated' | 'renewed' | 'refused'> {
    return this.#daemonHooks.turn(() => this.#offer(verified));
  }

  async #offer(verified: VerifiedBundle): Promise<'activated' | 'renewed' | 'refused'> {
    const active = this.#active;
    const offered = { revision: verified.revision, digest: verified.digest, keyIds: verified.keyIds };
    if (verified.channel !== this.#config.channel)
      return this.#refused(
        'wrong_channel',
        `the bundle is of channel ${verified.channel}, not ${this.#config.channel}`,
        offered,
      );
    if (active && verified.revision === active.revision && verified.digest === active.manifest_digest)
      return this.#renew(active, verified);
    // Never back, never sideways: the same revision with another digest is refused like an older one.
    if (active && verified.revision <= active.revision)
      return this.#refused(
        'older_revision',
        `revision ${verified.revision} (sha256 ${verified.digest}) is not newer than the active revision ${active.revision} (sha256 ${active.manifest_digest})`,
        offered,
      );
    let state: EnforcementState;
    try {
      state = await this.#packState(this.#daemon as DaemonConfig, verified.packFiles, verified.compiledPacks);
    } catch (error) {
      return this.#refused('invalid_pack', (error as Error).message, offered);
    }
    const next: ActiveBundle = {
      channel: verified.channel,
      revision: verified.revision,
      manifest_digest: verified.digest,
      key_ids: verified.keyIds,
      activated_at: this.#host.clock().toISOString(),
      expires: verified.expires,
      dir: verified.packDir,
      files: [...verified.packFiles],
    };
    // Recorded first: no decision names a revision whose activation is not on record.
    await this.#daemonHooks.record({
      type: 'bundle_activated',
      channel: next.channel,
      revision: next.revision,
      manifest_digest: next.manifest_digest,
      key_ids: next.key_ids,
      previous_revision: active?.revision ?? null,
    });
    await writeActive(this.#config.stateDir, next);
    this.#active = next;
    this.#bootstrap = false;
    this.#lastError = undefined;
    this.#lastRefused = undefined;
    this.#daemonHooks.install(
      this.#withStaleness({ ...state, bundle: { channel: next.channel, revision: next.revision } }),
    );
    this.#armStaleTimer();
    this.#host.logger.info('fleet: bundle activated', {
      channel: next.channel,
      revision: next.revision,
      manifest_digest: next.manifest_digest,
      policy_digests: state.policyDigests,
    });
    return 'activated';
  }

  /** The same revision and digest, vouched for by newer timestamp metadata: its expiry moves, nothing else. */
  async #renew(active: ActiveBundle, verified: VerifiedBundle): Promise<'renewed'> {
    if (Date.parse(verified.expires) > Date.parse(active.expires)) {
      const renewed = { ...active, expires: verified.expires };
      await writeActive(this.#config.stateDir, renewed);
      this.#active = renewed;
      const current = this.#daemonHooks.current();
      this.#daemonHooks.install(this.#withStaleness(current));
      this.#armStaleTimer();
    }
    this.#lastError = undefined;
    return 'renewed';
  }

  /**
   * A refusal the follower met before a bundle could be offered (a FleetError of `@cavra/fleet`: tampered,
   * expired, unknown channel, ...). Recorded once per distinct refusal, so a poll does not repeat it.
   */
  refuse(code: string, reason: string, revision: number | null): Promise<'refused'> {
    return this.#daemonHooks.turn(() => this.#refused(code, reason, { revision, digest: null, keyIds: {} }));
  }

  async #refused(
    code: string,
    reason: string,
    offered: {
      revision: number | null;
      digest: string | null;
      keyIds: Readonly<Record<string, readonly string[]>>;
    },
  ): Promise<'refused'> {
    const printable = reason.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_REASON);
    this.#lastError = `${code}: ${printable}`;
    const key = JSON.stringify([code, offered.revision, offered.digest]);
    if (key !== this.#lastRefused) {
      this.#lastRefused = key;
      await this.#daemonHooks.record({
        type: 'bundle_refused',
        channel: this.#config.channel,
        revision: offered.revision,
        manifest_digest: offered.digest,
        key_ids: offered.keyIds,
        code,
        reason: printable,
        active_revision: this.#active?.revision ?? null,
      });
      this.#host.logger.warn('fleet: bundle refused; the active policy stays in force', {
        code,
        reason: printable,
        revision: offered.revision,
        active_revision: this.#active?.revision ?? null,
      });
    }
    return 'refused';
  }

  /** The follower's connection state, for health. */
  connection(connected: boolean, error?: string): void {
    this.#connected = connected;
    if (error !== undefined) this.#lastError = error;
  }

  health(): FleetHealthReport {
    const active = this.#active;
    const now = this.#host.clock().getTime();
    const stale = active !== undefined && now >= Date.parse(active.expires);
    return {
      channel: this.#config.channel,
      state: active ? (stale ? 'stale' : 'active') : this.#bootstrap ? 'bootstrap' : 'none',
      revision: active?.revision ?? null,
      manifest_digest: active?.manifest_digest ?? null,
      key_ids: active?.key_ids ?? {},
      activated_at: active?.activated_at ?? null,
      expires: active?.expires ?? null,
      stale_action: this.#config.staleAction,
      blocking: this.#daemonHooks.current().block !== undefined,
      connected: this.#connected,
      last_error: this.#lastError ?? null,
    };
  }

  close(): void {
    clearTimeout(this.#timer);
  }

  /**
   * The daemon config a bundle's packs are loaded with, its `policy_packs` and `default_pack` the bundle's; `loaded`:
   * those packs as already loaded (a verified bundle's, loaded when staged).
   */
  async #packState(next: DaemonConfig, files: readonly string[], loaded?: readonly CompiledPolicyPack[]) {
    this.#daemon = next;
    return loadEnforcementState({ ...next, policyPacks: files }, this.#host.stateOptions, loaded);
  }

  async #blockState(next: DaemonConfig, cause: string): Promise<EnforcementState> {
    const state = await this.#packState(next, []);
    return {
      ...state,
      policyDigests: {},
      policyLoosens: {},
      block: fleetBlock(NO_BUNDLE_RULE_ID, `fleet mode has no policy to decide with: ${cause}`),
    };
  }

  /** Past `expires + max_staleness` with `stale_action: block`, every request is blocked; otherwise none is. */
  #withStaleness(state: EnforcementState): EnforcementState {
    const active = this.#active;
    const blocked =
      active !== undefined &&
      this.#config.staleAction === 'block' &&
      this.#host.clock().getTime() >= Date.parse(active.expires) + this.#maxStalenessMs;
    if (!blocked) return state.block ? { ...state, block: undefined } : state;
    return {
      ...state,
      block: fleetBlock(
        STALE_BUNDLE_RULE_ID,
        `the active bundle (channel ${active.channel}, revision ${active.revision}) expired at ${active.expires} and has not been renewed within max_staleness ${this.#config.maxStaleness} (stale_action: block)`,
      ),
    };
  }

  /** Wakes at the moment the active bundle turns stale, and at the one it must block from, to say so and act. */
  #armStaleTimer(): void {
    clearTimeout(this.#timer);
    const active = this.#active;
    if (!active) return;
    const now = this.#host.clock().getTime();
    const expires = Date.parse(active.expires);
    const moments = [expires, expires + this.#maxStalenessMs].filter((at) => at > now);
    const at = moments[0];
    if (at === undefined) return;
    this.#timer = setTimeout(
      () => {
        void this.#daemonHooks
          .turn(async () => {
            const current = this.#daemonHooks.current();
            const next = this.#withStaleness(current);
            if (next !== current) this.#daemonHooks.install(next);
            if (this.#host.clock().getTime() >= expires)
              this.#host.logger.warn('fleet: the active bundle is stale', {
                revision: active.revision,
                expired_at: active.expires,
                stale_action: this.#config.staleAction,
                blocking: next.block !== undefined,
              });
            this.#armStaleTimer();
          })
          .catch(() => undefined);
      },
      Math.min(at - now, MAX_TIMER_MS),
    );
    this.#timer.unref();
  }
}

function fleetBlock(ruleId: string, reason: string): RuleOutcome {
  return {
    decision: 'block',
    policyId: FLEET_POLICY_ID,
    ruleId,
    severity: 'critical',
    reason,
    evidenceRefs: [],
    approverGroup: '',
  };
}
