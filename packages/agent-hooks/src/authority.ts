import type { DecisionResponse, EvaluateRequestInit } from '@cavra/contracts';
import type { PlainDecisionResponse } from '@cavra/contracts/plain';
import { NoDecisionError } from './no-decision-error.js';

/** Who decides: the daemon over its socket, or an engine in this process. */
export interface Authority {
  /** The decision for one request; throws NoDecisionError when there is none (never makes one up). */
  decide(request: EvaluateRequestInit): Promise<PlainDecisionResponse>;
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

/**
 * Asks the daemon: decisions through `@cavra/daemon-client/thin` (the same checks as the full client, without
 * protobufjs: a hook's start-up is the latency of every tool call), the rest through the full client. Each is loaded
 * on first use.
 */
export function daemonAuthority(options: DaemonAuthorityOptions): Authority {
  const settings = { socketPath: options.socketPath, timeoutMs: options.timeoutMs ?? 5000 };
  let thin: Promise<import('@cavra/daemon-client/thin').ThinClient> | undefined;
  let client: Promise<import('@cavra/daemon-client').DaemonClient> | undefined;
  return {
    async decide(request) {
      thin ??= import('@cavra/daemon-client/thin').then(({ createThinClient }) => createThinClient(settings));
      const daemon = await thin;
      try {
        return await daemon.evaluate(request);
      } catch (error) {
        throw noDecision(error, options);
      }
    },
    async reportActionOutcome(outcome) {
      client ??= import('@cavra/daemon-client').then(({ createClient }) => createClient(settings));
      await (await client).reportActionOutcome(outcome);
    },
    async close() {
      await Promise.all([thin, client].map(async (opened) => (await opened)?.close()));
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
