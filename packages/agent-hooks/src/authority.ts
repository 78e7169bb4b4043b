import type { DecisionResponse, EvaluateRequestInit } from '@cavra/contracts';
import { NoDecisionError } from './no-decision-error.js';

/** Who decides: the daemon over its socket, or an engine in this process. */
export interface Authority {
  /** The decision for one request; throws NoDecisionError when there is none (never makes one up). */
  decide(request: EvaluateRequestInit): Promise<DecisionResponse>;
  /**
   * Records that the action of a `require_approval` decision ran (the person at the keyboard said yes); absent
   * where nothing keeps a record (the in-process engine). Throws when it was not recorded.
   */
  reportActionOutcome?(outcome: ActionOutcome): Promise<void>;
  close(): Promise<void>;
}

/** What happened to an action CAVRA asked about (the daemon-client's type). */
export type ActionOutcome = import('@cavra/daemon-client').ActionOutcome;

export interface DaemonAuthorityOptions {
  readonly socketPath: string;
  /** Per-request timeout; default 5000 ms. */
  readonly timeoutMs?: number;
  /** The daemon's config file, named in the deny when no daemon answers (how to start it). */
  readonly daemonConfig?: string;
}

/** Asks the daemon through `@cavra/daemon-client` (loaded on first use, to keep a hook's start-up short). */
export function daemonAuthority(options: DaemonAuthorityOptions): Authority {
  let client: Promise<import('@cavra/daemon-client').DaemonClient> | undefined;
  const open = () => {
    client ??= import('@cavra/daemon-client').then(({ createClient }) =>
      createClient({ socketPath: options.socketPath, timeoutMs: options.timeoutMs ?? 5000 }),
    );
    return client;
  };
  return {
    async decide(request) {
      const daemon = await open();
      try {
        return await daemon.evaluate(request);
      } catch (error) {
        throw noDecision(error, options);
      }
    },
    async reportActionOutcome(outcome) {
      await (await open()).reportActionOutcome(outcome);
    },
    async close() {
      if (client) await (await client).close();
    },
  };
}

export interface EngineAuthorityOptions {
  /** Policy packs: shipped pack ids (`cavra-developer`) or files (YAML, JSON or compiled JSON); none means the shipped baseline pack. */
  readonly policyPacks?: readonly string[];
  readonly defaultPack?: string;
}

/**
 * Decides in this process with `@cavra/runtime`, for setups without a daemon. Nothing is written to an evidence
 * log: use the daemon where decisions must be on record.
 */
export function engineAuthority(options: EngineAuthorityOptions = {}): Authority {
  let engine: Promise<(request: EvaluateRequestInit) => DecisionResponse> | undefined;
  const open = () => {
    engine ??= (async () => {
      const [runtime, contracts] = await Promise.all([import('@cavra/runtime'), import('@cavra/contracts')]);
      const packs = options.policyPacks?.length
        ? await Promise.all(options.policyPacks.map((pack) => runtime.loadPolicyPack(pack)))
        : [await runtime.loadBaselinePack()];
      const built = runtime.createEngine({
        packs,
        ...(options.defaultPack ? { defaultPackId: options.defaultPack } : {}),
      });
      return (request) => contracts.toDecisionResponse(built.evaluate(contracts.toRuntimeRequest(request)));
    })();
    return engine;
  };
  return {
    async decide(request) {
      let evaluate: (request: EvaluateRequestInit) => DecisionResponse;
      try {
        evaluate = await open();
      } catch (error) {
        throw new NoDecisionError('engine_error', `the policy engine could not start: ${messageOf(error)}`, {
          cause: error,
        });
      }
      try {
        return evaluate(request);
      } catch (error) {
        throw new NoDecisionError('engine_error', `the policy engine gave no decision: ${messageOf(error)}`, {
          cause: error,
        });
      }
    },
    async close() {},
  };
}

function noDecision(error: unknown, options: DaemonAuthorityOptions): NoDecisionError {
  // By name, not instanceof: the CLIs bundle their own copy of the client and the contracts.
  const name = (error as Error | undefined)?.name;
  if (name === 'ContractValidationError') {
    return new NoDecisionError('invalid_request', `the request is not valid: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (name === 'DaemonClientError') {
    const { code, daemonCode } = error as { code: string; daemonCode?: string };
    if (code === 'daemon_unavailable') {
      const start = options.daemonConfig
        ? `start it with: npx cavra-daemon start --config ${options.daemonConfig}`
        : `start it with: npx cavra-daemon start --config <the cavra-daemon.yaml whose socket_path is that socket>`;
      return new NoDecisionError(
        'daemon_unavailable',
        `no CAVRA daemon answers at ${options.socketPath}; ${start}`,
        { cause: error },
      );
    }
    return new NoDecisionError(
      'daemon_error',
      `the CAVRA daemon gave no decision (${daemonCode ?? code}): ${messageOf(error)}`,
      { cause: error },
    );
  }
  return new NoDecisionError('daemon_error', `the CAVRA daemon gave no decision: ${messageOf(error)}`, {
    cause: error,
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
