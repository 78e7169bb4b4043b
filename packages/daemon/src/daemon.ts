import { chmod, mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ApprovalState } from '@cavra/approvals';
import {
  type AuthenticatedRunner,
  DEFAULT_SKEW_SECONDS,
  type HmacKey,
  loadKeyring,
  ReplayCache,
  RunnerAuthError,
} from '@cavra/auth';
import type { Decision } from '@cavra/contracts';
import type { HealthReport } from '@cavra/daemon-client';
import { type IdKind, newId } from '@cavra/runtime';
import { recordActionOutcome } from './action-outcome.js';
import type { ApprovalFrame } from './approval-frames.js';
import { type AnsweredDecision, serveConnection } from './client-connection.js';
import { type DaemonConfig, loadDaemonConfig } from './daemon-config.js';
import { readDaemonId } from './daemon-identity.js';
import { type Decided, decideRequest, refusal } from './decide-request.js';
import { type EnforcementState, loadEnforcementState } from './enforcement-state.js';
import { EvidenceLog, type EvidenceLogOptions } from './evidence-log.js';
import type { ApprovalEvidenceEvent, EvidenceEvent, EvidenceRecord } from './evidence-record.js';
import type { FleetMode } from './fleet-mode.js';
import type { FleetPolicyHost } from './fleet-policy.js';
import { SpoolGauge, spoolSegments } from './fleet-spool.js';
import { type Logger, silentLogger } from './logger.js';
import { NotShippedError } from './not-shipped-error.js';
import { type ClientRefusal, FrameError, refusedConnectionLine, SerializedBody } from './protocol.js';
import { RecentEntries } from './recent-entries.js';
import { ReplayJournal } from './replay-journal.js';
import { loadShellParserInBackground } from './shell-parser-load.js';
import { prepareSocketPath } from './socket-path.js';
import { DAEMON_VERSION } from './version.js';

export { DAEMON_VERSION };

export interface DaemonOptions {
  readonly logger?: Logger;
  /** Injectable clock and id source (decisions, evidence timestamps), for exact tests. */
  readonly clock?: () => Date;
  readonly ids?: (kind: IdKind) => string;
  /** Where HMAC secrets named by `secret_env` are read from; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long close() waits for in-flight requests before cutting connections. Default 10 s. */
  readonly drainTimeoutMs?: number;
  /**
   * Start on an evidence log shorter than its checkpoint, or missing while its checkpoint exists, instead of refusing
   * to (`--accept-truncated`); the first record then says so (`truncation_accepted`).
   */
  readonly acceptTruncatedLog?: boolean;
}

export interface Daemon {
  readonly socketPath: string;
  health(): HealthReport;
  /** Reloads packs, keys and trust from the config file; on any error keeps the current state and rethrows. */
  reload(): Promise<void>;
  /** Stops accepting, finishes in-flight requests, closes connections and the evidence log. */
  close(): Promise<void>;
}

/** Starts the daemon on its Unix socket. Resolves once it is listening. */
export async function startDaemon(config: DaemonConfig, options: DaemonOptions = {}): Promise<Daemon> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const ids = options.ids ?? newId;
  // One replay cache for the daemon's life, whatever the reloads, restored from the evidence log below.
  const replayCache = new ReplayCache({ maxEntries: config.runnerAuth.hmac?.replayCacheSize });
  const stateOptions = { clock, ids, replayCache, ...(options.env ? { env: options.env } : {}) };
  const shellParser = loadShellParserInBackground(logger);
  const daemonId = await readDaemonId(config.evidenceLog);
  const fleet = config.fleet ? await openFleet(config, daemonId, { clock, logger, stateOptions }) : undefined;
  /** The policy from the config's packs; in fleet mode, from the active bundle (see fleet-policy.ts). */
  const loadState = (next: DaemonConfig) =>
    fleet ? fleet.policy.loadState(next) : loadEnforcementState(next, stateOptions);
  let state: EnforcementState = await loadState(config);
  const evidenceKey = config.evidenceSigning
    ? await loadEvidenceKey(config.evidenceSigning, options.env)
    : undefined;
  await prepareSocketPath(config.socketPath);
  await mkdir(dirname(config.evidenceLog), { recursive: true, mode: 0o700 });
  const now = () => clock().getTime();
  const replay = rememberSignatures(replayCache, config, now());
  const evidence = await EvidenceLog.open(config.evidenceLog, {
    ...(evidenceKey ? { key: evidenceKey } : {}),
    ...replay.logOptions,
    now,
    ...(options.acceptTruncatedLog ? { acceptTruncated: true } : {}),
    ...(daemonId ? { daemonId } : {}),
    // Fleet mode: the log is the shipper's spool, in segments, bounded (see fleet-spool.ts).
    ...(config.fleet ? { segments: spoolSegments(config.fleet.evidence) } : {}),
  });
  const spool = config.fleet ? new SpoolGauge(config.fleet.evidence, evidence, logger) : undefined;
  let journal: ReplayJournal;
  try {
    journal = await ReplayJournal.open(config.evidenceLog, { now, restore: replay.restore });
  } catch (error) {
    await evidence.close();
    throw error;
  }
  /** Appends an event record; resolves with its reference once it is durable. */
  const recordEvent = (event: ApprovalEvidenceEvent | EvidenceEvent) =>
    evidence.append({ recorded_at: clock().toISOString(), event });
  /** Aborted when the daemon stops, so that evaluates waiting for an approval are answered at once. */
  const stopping = new AbortController();
  const asked = new RecentEntries<true>(MAX_ASKED_REMEMBERED);
  const wasAsked = (id: string) => asked.has(id);
  let approvals: Awaited<ReturnType<typeof openApprovals>> | undefined;
  try {
    approvals = config.approvals ? await openApprovals(config, clock, recordEvent, wasAsked) : undefined;
  } catch (error) {
    await evidence.close();
    await journal.close();
    throw error;
  }
  const startedAt = Date.now();
  const counts = { requests: 0, errors: 0, decisions: {} as Record<string, number> };
  const connections = new Set<Socket>();
  const tasks = new Set<Promise<void>>();
  const { limits } = config;
  let closing = false;
  /** The reload running or last run: reloads take turns, so the config read last is the one left in force. */
  let reloading: Promise<void> = Promise.resolve();
  /** Runs a change of state after the reload or activation before it. */
  const turn = <T>(task: () => Promise<T>): Promise<T> => {
    const next = reloading.then(task);
    reloading = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  };
  fleet?.policy.attach({
    record: recordEvent,
    turn,
    current: () => state,
    install: (next) => {
      state = next;
    },
  });

  const health = (): HealthReport => ({
    version: DAEMON_VERSION,
    pid: process.pid,
    policy_digest: state.engine.defaultPackId ? (state.policyDigests[state.engine.defaultPackId] ?? '') : '',
    policy_digests: state.policyDigests,
    mode: state.engine.mode.mode,
    shell_parser: shellParser(),
    runner_auth: { required: state.requireRunnerAuth, methods: state.runnerAuthMethods },
    uptime_ms: Date.now() - startedAt,
    counts: { ...counts, decisions: { ...counts.decisions }, connections: connections.size },
    evidence: { records: evidence.records, last_hash: evidence.lastHash },
    ...(daemonId ? { daemon_id: daemonId } : {}),
    ...(fleet ? { fleet: { ...fleet.health(), ...(spool ? { spool: spool.health() } : {}) } } : {}),
  });

  /** `ship_mode: sync`: a decision is answered only once the fleet stream acknowledged its record. */
  const shipSync = fleet?.syncShipping;
  /** Records a decision and returns it as recorded (its evidence ref included); counts it. */
  const record = async (decided: Decided) => {
    const { seq, decision, decisionText } = await evidence.append(decided.evidence);
    const kind = decision.decision as Decision;
    counts.decisions[kind] = (counts.decisions[kind] ?? 0) + 1;
    if (shipSync) await shipSync(seq);
    // The answer sends the decision's text from the record: serialized once for both.
    return new SerializedBody(decision, decisionText as string);
  };

  /**
   * In the bare form a request that fails inside the daemon (the evidence log cannot be written) is still answered
   * with a decision, a `block`; it alone carries no evidence ref, because there is no record to point to.
   */
  const unrecorded = (json: unknown, correlationId: string | undefined) => {
    const decision = refusal(
      new FrameError('internal', null, 'internal error; the request was not decided'),
      json,
      correlationId,
      { clock, ids },
    ).decision;
    counts.decisions.block = (counts.decisions.block ?? 0) + 1;
    return decision;
  };

  const evaluate = async (
    frame: { readonly request: unknown; readonly correlationId?: string },
    id: string | null,
    bare: boolean,
  ) => {
    counts.requests += 1;
    const current = spool ? spool.gate(state) : state;
    try {
      const made = decideRequest(frame.request, frame.correlationId, id, current, {
        strictContract: current.strictContract,
        requireRunnerAuth: current.requireRunnerAuth,
        clock,
        ids,
        bare,
      });
      // Most requests are decided synchronously: no turn of the microtask queue for them.
      const undecorated = made instanceof Promise ? await made : made;
      const decided = spool ? spool.mark(undecorated) : undecorated;
      // An accepted signature is kept apart from the log first, so that cutting the log cannot make it new again.
      const used = replay.entry(decided.evidence.runner);
      if (used) await journal.add(used.key, used.until);
      if (decided.decision.decision !== 'require_approval') return await record(decided);
      const answer = approvals
        ? await approvals.runtime.answerWithApproval(decided, {
            config: approvals.config,
            store: approvals.store,
            clock,
            record: recordEvent,
            stopping: stopping.signal,
          })
        : { decided };
      const recorded = await record(answer.decided);
      const decision = recorded.value;
      const decisionId = String(decision.decision_id);
      if (decision.decision === 'require_approval') asked.set(decisionId, true);
      if (answer.used) {
        const refs = decision.evidence_refs as string[];
        await recordEvent({
          type: 'approval_grant_used',
          request_id: answer.used.requestId,
          decision_id: decisionId,
          decision_ref: refs[refs.length - 1] as string,
          scope: answer.used.scope,
        });
      }
      return recorded;
    } catch (error) {
      if (error instanceof FrameError) throw error;
      logger.error('request failed', { error: (error as Error).message });
      if (bare) return unrecorded(frame.request, frame.correlationId);
      if (error instanceof NotShippedError) throw new FrameError('internal', id, error.message);
      throw new FrameError('internal', id, 'internal error; the request was not decided');
    }
  };

  /** The bare form's decision for a frame refused before it reached decideRequest (unreadable, shutting down). */
  const refuse = async (error: FrameError, json: unknown) => {
    try {
      return await record(refusal(error, json, undefined, { clock, ids }));
    } catch (failure) {
      logger.error('request failed', { error: (failure as Error).message });
      return unrecorded(json, undefined);
    }
  };

  /**
   * Records a client's refusal of a decision this daemon answered on the same connection: an event linked to the
   * decision's id and record, so the evidence never says only `allow` for what the agent was denied.
   */
  const refused = async (
    report: ClientRefusal,
    id: string,
    answered: Promise<AnsweredDecision | undefined> | undefined,
  ) => {
    const decision = await answered;
    if (!decision) {
      throw new FrameError(
        'unknown_decision',
        id,
        `no decision recorded for the evaluate frame ${JSON.stringify(report.evaluateId.slice(0, 128))} on this connection`,
      );
    }
    const { decisionId, ref: decisionRef } = decision;
    const named =
      report.decisionId !== undefined && report.decisionId !== decisionId
        ? ` (the client named decision ${report.decisionId})`
        : '';
    try {
      const { ref } = await evidence.append({
        recorded_at: clock().toISOString(),
        event: {
          type: 'client_refusal',
          decision_id: decisionId,
          decision_ref: decisionRef,
          code: report.code,
          message: `${report.message}${named}`,
        },
      });
      return { decision_id: decisionId, decision_ref: decisionRef, evidence_ref: ref };
    } catch (error) {
      logger.error('request failed', { error: (error as Error).message });
      throw new FrameError('internal', id, 'internal error; the refusal was not recorded');
    }
  };

  /** An approval frame's answer; without an `approvals:` section only action_outcome is taken. */
  const approval = (frame: ApprovalFrame) => {
    if (approvals) return approvals.service.answer(frame);
    if (frame.kind === 'action_outcome')
      return recordActionOutcome(frame, { asked: wasAsked, record: recordEvent });
    throw new FrameError(
      'approvals_not_configured',
      frame.id,
      'approvals are not configured on this daemon (no approvals: section in its config)',
    );
  };

  const host = {
    limits,
    refused,
    approval,
    closing: () => closing,
    health,
    evaluate,
    refuse,
    counted: () => {
      counts.errors += 1;
    },
    track: (task: Promise<void>) => {
      tasks.add(task);
      void task.finally(() => tasks.delete(task));
    },
  };

  const serve = (socket: Socket) => {
    socket.on('error', () => {});
    if (closing || connections.size >= limits.maxConnections) {
      counts.errors += 1;
      // Told once, then cut: a refused client must not keep a descriptor open.
      socket.end(
        closing
          ? refusedConnectionLine('shutting_down', 'the daemon is shutting down')
          : refusedConnectionLine('overloaded', 'too many connections'),
        () => socket.destroy(),
      );
      return;
    }
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, host);
  };

  const server: Server = createServer({ allowHalfOpen: true }, serve);
  // The socket file is born 0600 (umask), so there is no window in which others could connect.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(config.socketPath, 0o600);
  } catch (error) {
    await approvals?.store.close();
    await evidence.close();
    await journal.close();
    throw error;
  } finally {
    process.umask(umask);
  }
  logger.info('listening', {
    socket: config.socketPath,
    version: DAEMON_VERSION,
    pid: process.pid,
    policy_digests: state.policyDigests,
    ...trustFields(state),
  });
  logStateWarnings(logger, state);
  fleet?.follow(health, evidence);

  const reloadOnce = async () => {
    try {
      const next = config.configFile
        ? await loadDaemonConfig(config.configFile, { socketPath: config.socketPath })
        : config;
      state = await loadState(next);
      logger.info('reloaded', { policy_digests: state.policyDigests, ...trustFields(state) });
      logStateWarnings(logger, state);
      const later = restartOnlyChanges(config, next);
      if (later.length > 0) logger.warn('these settings take effect only after a restart', { keys: later });
    } catch (error) {
      logger.error('reload failed; keeping the current policy and keys', {
        error: (error as Error).message,
      });
      throw error;
    }
  };

  return {
    socketPath: config.socketPath,
    health,
    reload() {
      return turn(reloadOnce);
    },
    async close() {
      if (closing) return;
      closing = true;
      stopping.abort();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const drained = Promise.allSettled([...tasks]);
      await Promise.race([
        drained,
        new Promise((resolve) => setTimeout(resolve, options.drainTimeoutMs ?? 10_000).unref()),
      ]);
      for (const socket of connections) socket.end();
      const cut = setTimeout(() => {
        for (const socket of connections) socket.destroy();
      }, 1000).unref();
      await stopped;
      clearTimeout(cut);
      // Everything answered is in the log now: ship it while the fleet connection is still up, bounded.
      await fleet?.drain();
      await fleet?.close();
      await approvals?.store.close();
      await evidence.close();
      await journal.close();
      logger.info('stopped', { requests: counts.requests });
    },
  };
}

/**
 * The approval store (local, or the fleet's) and the approval frames' service. Each review and outcome the local
 * store commits is recorded in the evidence log before the operation that committed it resolves; the fleet store's
 * reviews, made by approvers elsewhere, before the operation that read them resolves.
 */
async function openApprovals(
  daemonConfig: DaemonConfig,
  clock: () => Date,
  recordEvent: (event: ApprovalEvidenceEvent) => Promise<{ readonly ref: string }>,
  asked: (decisionId: string) => boolean,
) {
  const config = daemonConfig.approvals as NonNullable<DaemonConfig['approvals']>;
  const maxAnswerBytes = daemonConfig.limits.maxFrameBytes;
  const runtime = await import('./approvals-runtime.js');
  const verification = await runtime.loadReviewVerification(config, clock);
  const record = async (state: ApprovalState, previous: ApprovalState | undefined) => {
    for (const event of runtime.changeEvents(state, previous)) await recordEvent(event);
  };
  const store =
    config.store === 'fleet' && daemonConfig.fleet
      ? (await import('./fleet-approval-store.js')).openDaemonFleetApprovalStore(
          daemonConfig.fleet.connection,
          {
            now: clock,
            observed: record,
            verification,
            unverifiable: async ({ requestId, problem }) => {
              await recordEvent({ type: 'approval_unverifiable', request_id: requestId, problem });
            },
          },
        )
      : await runtime.openLocalApprovalStore(config.file, { now: clock, committed: record });
  const service = runtime.createApprovalService({
    store,
    clock,
    verification,
    record: recordEvent,
    asked,
    maxAnswerBytes,
  });
  return { config, store, service, runtime };
}

/**
 * Fleet mode (a `fleet:` section): its module is imported only then, so a daemon without it loads none of it. A
 * fleet daemon must have been enrolled: its records and heartbeat name it by its daemon id.
 */
async function openFleet(
  config: DaemonConfig,
  daemonId: string | undefined,
  host: FleetPolicyHost,
): Promise<FleetMode> {
  const fleetConfig = config.fleet as NonNullable<DaemonConfig['fleet']>;
  if (!daemonId)
    throw new Error(
      `fleet: this daemon has no daemon id; run cavra-daemon enroll${config.configFile ? ` --config ${config.configFile}` : ''} once, then start it`,
    );
  const { openFleetMode } = await import('./fleet-mode.js');
  return openFleetMode({ ...config, fleet: fleetConfig }, daemonId, host);
}

/** Decision ids answered `require_approval` that action_outcome may name: the most recent ones, in memory. */
const MAX_ASKED_REMEMBERED = 10_000;

/** Reads the evidence signing key: from its variable or file (mode 600), at least 32 bytes, as HMAC keys are. */
async function loadEvidenceKey(
  source: NonNullable<DaemonConfig['evidenceSigning']>,
  env: NodeJS.ProcessEnv | undefined,
): Promise<HmacKey> {
  try {
    return (await loadKeyring([source], env)).get(source.keyId) as HmacKey;
  } catch (error) {
    throw new Error(`evidence_signing: ${(error as Error).message}`);
  }
}

/**
 * The replay state: every HMAC-authenticated decision is recorded (and fsync'ed) before it is answered, with the
 * signature's replay key and expiry, both in the evidence log and, before that, in the replay journal beside it
 * (`<log>.replay`), and one daemon at a time writes a log. So a daemon that restarts, or a successor on the same log,
 * remembers every signature still live; and cutting or deleting the log does not erase them, since the journal keeps
 * them too. Expired ones are skipped. More live signatures than the cache holds refuses the start rather than forget
 * one.
 */
function rememberSignatures(cache: ReplayCache, config: DaemonConfig, now: number) {
  const skewMs = (config.runnerAuth.hmac?.skewSeconds ?? DEFAULT_SKEW_SECONDS) * 1000;
  /** An accepted HMAC signature's replay key, and until when (ms) it could be replayed. */
  const entry = (
    runner: Readonly<Record<string, unknown>> | null | undefined,
  ): { key: string; until: number } | undefined => {
    if (runner?.algorithm !== 'HMAC-SHA256' || typeof runner[REPLAY_KEY] !== 'string') return undefined;
    const expiresAt = Date.parse(String(runner.expiresAt));
    return Number.isNaN(expiresAt)
      ? undefined
      : { key: runner[REPLAY_KEY] as string, until: Math.ceil(expiresAt + skewMs) };
  };
  const restore = (key: string, until: number) => {
    try {
      cache.restore(key, until, now);
    } catch (error) {
      if (!(error instanceof RunnerAuthError)) throw error;
      throw new Error(
        `evidence log ${config.evidenceLog}: ${error.message} (runner_auth.hmac.replay_cache_size), or start again once they expired`,
      );
    }
  };
  // Until when a record's signature could be replayed: the checkpoint keeps where the oldest such record starts,
  // so a restart reads back only that far.
  const liveUntil = (record: EvidenceRecord) =>
    'runner' in record ? entry(record.runner)?.until : undefined;
  const visit = (record: EvidenceRecord) => {
    const used = 'runner' in record ? entry(record.runner) : undefined;
    if (used) restore(used.key, used.until);
  };
  // Only a line naming a replay key can be live (JSON writes the key as this text, quotes escaped in any value).
  const logOptions: Pick<EvidenceLogOptions, 'visit' | 'liveUntil' | 'liveMarker'> = {
    visit,
    liveUntil,
    liveMarker: `"${REPLAY_KEY}":`,
  };
  return { entry, restore, logOptions };
}

/** The evidence runner record's field that holds an HMAC signature's replay key (AuthenticatedRunner.replayKey). */
const REPLAY_KEY = 'replayKey' satisfies keyof AuthenticatedRunner;

function trustFields(state: EnforcementState): Record<string, unknown> {
  return {
    ...(state.policySignatures.length > 0
      ? {
          policy_signatures: state.policySignatures.map((signature) => ({
            file: signature.file,
            key_id: signature.keyId,
            signer: signature.signer,
            public_key_sha256: signature.publicKeySha256,
          })),
        }
      : {}),
    ...(Object.keys(state.policyLoosens).length > 0 ? { policy_loosens: state.policyLoosens } : {}),
    runner_auth: state.requireRunnerAuth ? 'required' : 'optional',
    runner_auth_methods: state.runnerAuthMethods,
  };
}

function logStateWarnings(logger: Logger, state: EnforcementState): void {
  if (!state.requireRunnerAuth) {
    logger.warn(
      'runner authentication is optional: requests without runner_auth are evaluated as unauthenticated local agents (recorded as such)',
    );
  }
  // An upstream pack's keys that load but decide nothing here: said once per start and reload, never silently.
  for (const pack of state.engine.packs.values()) {
    if (pack.notices.length > 0) {
      logger.warn('policy pack keys accepted but not enforced', { pack: pack.id, notices: pack.notices });
    }
  }
}

/** Config keys a reload read but cannot apply to a running daemon (the socket path is kept as started). */
function restartOnlyChanges(running: DaemonConfig, next: DaemonConfig): string[] {
  return [
    ...(next.pidFile !== running.pidFile ? ['pid_file'] : []),
    ...(next.evidenceLog !== running.evidenceLog ? ['evidence_log'] : []),
    ...(JSON.stringify(next.evidenceSigning) !== JSON.stringify(running.evidenceSigning)
      ? ['evidence_signing']
      : []),
    ...(next.runnerAuth.hmac?.replayCacheSize !== running.runnerAuth.hmac?.replayCacheSize
      ? ['runner_auth.hmac.replay_cache_size']
      : []),
    ...(JSON.stringify(next.limits) !== JSON.stringify(running.limits) ? ['limits'] : []),
    // The store, its waits and the approvers' keys are opened with the daemon: requests in flight keep them.
    ...(JSON.stringify(next.approvals) !== JSON.stringify(running.approvals) ? ['approvals'] : []),
    // The follower keeps its connection and channel; the bundle in force stays the one followed.
    ...(JSON.stringify(next.fleet) !== JSON.stringify(running.fleet) ? ['fleet'] : []),
  ];
}
