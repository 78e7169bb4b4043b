import { randomUUID } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Decision } from '@cavra/contracts';
import type { HealthReport } from '@cavra/daemon-client';
import pkg from '../package.json' with { type: 'json' };
import { type DaemonConfig, loadDaemonConfig } from './daemon-config.js';
import { decideRequest } from './decide-request.js';
import { type EnforcementState, loadEnforcementState } from './enforcement-state.js';
import { EvidenceLog } from './evidence-log.js';
import { FrameSplitter } from './frame-splitter.js';
import { type Logger, silentLogger } from './logger.js';
import { FrameError, parseFrame, responseLine } from './protocol.js';
import { prepareSocketPath } from './socket-path.js';

export const DAEMON_VERSION: string = pkg.version;

export interface DaemonOptions {
  readonly logger?: Logger;
  /** Injectable clock and id source (decisions, evidence timestamps), for exact tests. */
  readonly clock?: () => Date;
  readonly ids?: () => string;
  /** Where HMAC secrets named by `secret_env` are read from; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long close() waits for in-flight requests before cutting connections. Default 10 s. */
  readonly drainTimeoutMs?: number;
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
  const ids = options.ids ?? randomUUID;
  const stateOptions = { clock, ids, ...(options.env ? { env: options.env } : {}) };
  let state: EnforcementState = await loadEnforcementState(config, stateOptions);
  await mkdir(dirname(config.evidenceLog), { recursive: true, mode: 0o700 });
  const evidence = await EvidenceLog.open(config.evidenceLog);
  const startedAt = Date.now();
  const counts = { requests: 0, errors: 0, decisions: {} as Record<string, number> };
  const connections = new Set<Socket>();
  const tasks = new Set<Promise<void>>();
  const { limits } = config;
  let closing = false;

  const health = (): HealthReport => ({
    version: DAEMON_VERSION,
    policy_digest: state.engine.defaultPackId ? (state.policyDigests[state.engine.defaultPackId] ?? '') : '',
    policy_digests: state.policyDigests,
    mode: state.engine.mode.mode,
    uptime_ms: Date.now() - startedAt,
    counts: { ...counts, decisions: { ...counts.decisions }, connections: connections.size },
    evidence: { records: evidence.records, last_hash: evidence.lastHash },
  });

  const serve = (socket: Socket) => {
    if (closing || connections.size >= limits.maxConnections) {
      const code = closing ? 'shutting_down' : 'overloaded';
      socket.on('error', () => {});
      socket.end(
        responseLine(null, 'error', {
          code,
          message: closing ? 'daemon is shutting down' : 'too many connections',
        }),
      );
      return;
    }
    connections.add(socket);
    const splitter = new FrameSplitter(limits.maxFrameBytes);
    const inFlight = new Set<string>();
    let pending = 0;
    let clientEnded = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let readTimer: NodeJS.Timeout | undefined;

    const send = (line: string) => {
      if (!socket.destroyed && socket.writable) socket.write(line);
    };
    const sendError = (error: FrameError, compat: boolean) => {
      counts.errors += 1;
      send(responseLine(compat ? undefined : error.id, 'error', error.toBody()));
    };
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        if (pending === 0) socket.destroy();
        else armIdle();
      }, limits.idleTimeoutMs);
    };
    const settle = () => {
      if (clientEnded && pending === 0) socket.end();
    };

    const handle = (text: string) => {
      let frame: ReturnType<typeof parseFrame>;
      try {
        frame = parseFrame(text);
      } catch (error) {
        sendError(error as FrameError, false);
        return;
      }
      if (frame.kind === 'health') {
        send(responseLine(frame.id, 'health', health()));
        return;
      }
      const compat = frame.id === undefined;
      const id = frame.id ?? null;
      if (id !== null && inFlight.has(id)) {
        sendError(new FrameError('invalid_frame', id, 'id is already in flight on this connection'), compat);
        return;
      }
      if (pending >= limits.maxInFlightPerConnection) {
        sendError(new FrameError('overloaded', id, 'too many requests in flight on this connection'), compat);
        return;
      }
      counts.requests += 1;
      pending += 1;
      if (id !== null) inFlight.add(id);
      const current = state;
      const task = (async () => {
        try {
          const decided = await decideRequest(frame.request, frame.correlationId, id, current, {
            strictContract: config.strictContract,
            requireRunnerAuth: config.requireRunnerAuth,
            clock,
            ids,
          });
          await evidence.append(decided.evidence);
          const decision = decided.decision.decision as Decision;
          counts.decisions[decision] = (counts.decisions[decision] ?? 0) + 1;
          send(responseLine(compat ? undefined : id, 'decision', decided.decision));
        } catch (error) {
          if (error instanceof FrameError) {
            sendError(error, compat);
          } else {
            logger.error('request failed', { error: (error as Error).message });
            sendError(new FrameError('internal', id, 'internal error; the request was not decided'), compat);
          }
        } finally {
          pending -= 1;
          if (id !== null) inFlight.delete(id);
          settle();
        }
      })();
      tasks.add(task);
      void task.finally(() => tasks.delete(task));
    };

    socket.on('data', (chunk: Buffer) => {
      armIdle();
      const { frames, oversize } = splitter.push(chunk);
      for (const frame of frames) handle(frame);
      if (oversize) {
        sendError(
          new FrameError('frame_too_large', null, `frame exceeds ${limits.maxFrameBytes} bytes`),
          false,
        );
        socket.pause();
        socket.end();
        return;
      }
      clearTimeout(readTimer);
      if (splitter.pendingBytes > 0) readTimer = setTimeout(() => socket.destroy(), limits.readTimeoutMs);
    });
    socket.on('end', () => {
      clientEnded = true;
      settle();
    });
    socket.on('error', () => {}); // a client that vanishes mid-frame only ends its own connection
    socket.on('close', () => {
      connections.delete(socket);
      clearTimeout(idleTimer);
      clearTimeout(readTimer);
    });
    armIdle();
  };

  await prepareSocketPath(config.socketPath);
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
  } finally {
    process.umask(umask);
  }
  await chmod(config.socketPath, 0o600);
  logger.info('listening', {
    socket: config.socketPath,
    version: DAEMON_VERSION,
    policy_digests: state.policyDigests,
  });

  return {
    socketPath: config.socketPath,
    health,
    async reload() {
      try {
        const next = config.configFile
          ? await loadDaemonConfig(config.configFile, { socketPath: config.socketPath })
          : config;
        state = await loadEnforcementState(next, stateOptions);
        logger.info('reloaded', { policy_digests: state.policyDigests });
      } catch (error) {
        logger.error('reload failed; keeping the current policy and keys', {
          error: (error as Error).message,
        });
        throw error;
      }
    },
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const drained = Promise.allSettled([...tasks]);
      await Promise.race([
        drained,
        new Promise((resolve) => setTimeout(resolve, options.drainTimeoutMs ?? 10_000).unref()),
      ]);
      for (const socket of connections) socket.end();
      setTimeout(() => {
        for (const socket of connections) socket.destroy();
      }, 1000).unref();
      await stopped;
      await evidence.close();
      logger.info('stopped', { requests: counts.requests });
    },
  };
}
