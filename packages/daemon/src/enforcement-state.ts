import { createRunnerAuthenticator, type ReplayCache, type RunnerAuthenticator } from '@cavra/auth';
import { createReleaseGovernanceEvaluator, DrillHistory } from '@cavra/release-governance';
import {
  BASELINE_PACK_ID,
  type CompiledPolicyPack,
  createEngine,
  type Engine,
  type IdKind,
  loadMcpTrustRegistryFile,
  loadPolicyPack,
  loadTrustedPolicyKeys,
  type RuleOutcome,
  type VerifiedPolicySignature,
} from '@cavra/runtime';
import type { DaemonConfig } from './daemon-config.js';
import type { EvidenceBundleRef } from './evidence-record.js';

/** Everything a reload replaces at once: packs, engine, keys, trust, and whether runner auth is required. */
export interface EnforcementState {
  /** Requests without runner_auth are blocked (`runner_auth.invalid`, `missing_auth`) rather than evaluated as local agents. */
  readonly requireRunnerAuth: boolean;
  readonly strictContract: boolean;
  /** The runner-auth methods configured, in a fixed order; empty when none is. */
  readonly runnerAuthMethods: readonly ('hmac' | 'oidc')[];
  readonly engine: Engine;
  /** Undefined when no runner-auth method is configured. */
  readonly authenticator: RunnerAuthenticator | undefined;
  /** `<pack id>=<digest>` for each loaded pack, for health and logs. */
  readonly policyDigests: Readonly<Record<string, string>>;
  /** What each pack loaded allows beyond its parents or gives up of the protected set (its `metadata.loosens`), for the start log; packs loosening nothing are left out. */
  readonly policyLoosens: Readonly<Record<string, readonly string[]>>;
  /** The signature verified for each pack file read, when signatures are required; empty otherwise. */
  readonly policySignatures: readonly VerifiedPolicySignature[];
  /** Fleet mode: the bundle these packs came from, named by each decision record. */
  readonly bundle?: EvidenceBundleRef;
  /**
   * Fleet mode: every request is answered with this block (recorded) instead of the engine's decision: no bundle was
   * ever activated (`fleet.no_bundle`), or the active one is stale past max_staleness with `stale_action: block`.
   */
  readonly block?: RuleOutcome;
}

export interface StateOptions {
  readonly clock?: () => Date;
  readonly ids?: (kind: IdKind) => string;
  readonly env?: NodeJS.ProcessEnv;
  /** The daemon's replay cache, kept across reloads: a reload must not forget the signatures seen. */
  readonly replayCache?: ReplayCache;
}

/**
 * Loads packs (checking their signatures when required), the MCP trust registry, keys and drills named by the config.
 * Any error leaves the caller's current state untouched. `loaded`: the config's `policyPacks` already loaded, one per
 * file in the same order (a fleet bundle's packs, loaded once when they were staged), used instead of loading them.
 */
export async function loadEnforcementState(
  config: DaemonConfig,
  options: StateOptions = {},
  loaded?: readonly CompiledPolicyPack[],
): Promise<EnforcementState> {
  if (loaded && loaded.length !== config.policyPacks.length)
    throw new Error(`${loaded.length} loaded packs given for ${config.policyPacks.length} pack files`);
  const trustedKeys = config.policySignatures
    ? await loadTrustedPolicyKeys(config.policySignatures.trustedKeys)
    : undefined;
  const policySignatures: VerifiedPolicySignature[] = [];
  const packs = loaded
    ? [...loaded]
    : config.policyPacks.length > 0
      ? await Promise.all(
          config.policyPacks.map((path) =>
            loadPolicyPack(path, {
              ...(trustedKeys
                ? { trustedKeys, onVerified: (signature) => policySignatures.push(signature) }
                : {}),
              awaitShellParser: false,
            }),
          ),
        )
      : [await loadPolicyPack(BASELINE_PACK_ID, { awaitShellParser: false })];
  const mcpRegistry = config.mcpRegistry ? await loadMcpTrustRegistryFile(config.mcpRegistry) : undefined;
  const drills = config.releaseGovernance.drillHistory
    ? await DrillHistory.open(config.releaseGovernance.drillHistory)
    : undefined;
  // The daemon loads the shell grammar in the background (shell-parser-load.ts); commands that need it wait for it.
  const engine = createEngine({
    deferShellParser: true,
    packs,
    defaultPackId:
      config.defaultPack ??
      (packs.some((pack) => pack.id === BASELINE_PACK_ID) ? BASELINE_PACK_ID : packs[0]?.id),
    mode: config.mode,
    ...(mcpRegistry ? { mcpRegistry } : {}),
    evaluators: [
      createReleaseGovernanceEvaluator({
        ...(config.releaseGovernance.approverGroup
          ? { approverGroup: config.releaseGovernance.approverGroup }
          : {}),
        ...(drills ? { drills } : {}),
        ...(config.releaseGovernance.maxDrillAgeDays
          ? { maxDrillAgeDays: config.releaseGovernance.maxDrillAgeDays }
          : {}),
      }),
    ],
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.ids ? { ids: options.ids } : {}),
  });
  const authenticator =
    config.runnerAuth.hmac || config.runnerAuth.oidc
      ? await createRunnerAuthenticator(config.runnerAuth, {
          ...(options.env ? { env: options.env } : {}),
          ...(options.clock ? { now: options.clock } : {}),
          ...(options.replayCache ? { replayCache: options.replayCache } : {}),
        })
      : undefined;
  return {
    requireRunnerAuth: config.requireRunnerAuth,
    strictContract: config.strictContract,
    runnerAuthMethods: [
      ...(config.runnerAuth.hmac ? (['hmac'] as const) : []),
      ...(config.runnerAuth.oidc ? (['oidc'] as const) : []),
    ],
    engine,
    authenticator,
    policyDigests: Object.fromEntries(packs.map((pack) => [pack.id, pack.digest])),
    policyLoosens: Object.fromEntries(
      packs
        .filter((pack) => pack.resolved.metadata.loosens.length > 0)
        .map((pack) => [pack.id, pack.resolved.metadata.loosens]),
    ),
    policySignatures: policySignatures.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
  };
}
