import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { SandboxSettings } from '@cavra/runtime';

/**
 * The warm runner: one long-lived process that keeps `@anthropic-ai/sandbox-runtime` initialised (its network
 * proxies up) and runs confined commands for short-lived clients, so a command does not pay srt's start-up.
 *
 * Protocol, JSON lines over an owner-only Unix socket:
 * - `{"register":{"command":…,"settings":…}}` → `{"token":…}`: the hook registers what it allowed, under its settings;
 * - `{"run":{"token":…,"command":…,"cwd":…,"env":{…}}}`: a client redeems a token once (the command must be the one
 *   registered), then gets `{"out":b64}` / `{"err":b64}` lines and a final `{"exit":code}`, and may send `{"in":b64}`,
 *   `{"eof":true}`, `{"signal":name}`; closing the connection kills the command;
 * - any failure: `{"error":…}` and the connection closes.
 * The settings come only from registrations: a client cannot choose what confines it.
 */
export interface SandboxRunnerOptions {
  readonly socketPath: string;
  readonly allowedDomains: readonly string[];
  /** Exit after this long without a connection, a command in flight or a registration to run; default 30 minutes. */
  readonly idleMs?: number;
}

/** How long a registration waits for its run (an `ask` waits for a person). */
const TOKEN_LIFETIME_MS = 30 * 60 * 1000;

interface Registration {
  readonly command: string;
  readonly settings: SandboxSettings;
  readonly expires: number;
}

/** Starts the runner; resolves once it listens. Throws when the sandbox cannot start (its dependencies checked). */
export async function startSandboxRunner(
  options: SandboxRunnerOptions,
): Promise<{ close(): Promise<void>; readonly alreadyRunning: boolean }> {
  const { SandboxManager } = await import('@anthropic-ai/sandbox-runtime');
  await SandboxManager.initialize({
    network: { allowedDomains: [...options.allowedDomains], deniedDomains: [] },
    filesystem: { denyRead: [], allowRead: [], allowWrite: [], denyWrite: [] },
  });
  const registrations = new Map<string, Registration>();
  const running = new Set<ChildProcess>();
  let idle: NodeJS.Timeout | undefined;
  const idleMs = options.idleMs ?? TOKEN_LIFETIME_MS;

  const server = createServer((socket) => {
    clearTimeout(idle);
    const lines = createInterface({ input: socket });
    lines.on('error', () => {});
    let child: ChildProcess | undefined;
    // Input and signals that come while the command is being wrapped, relayed once it runs.
    let pending: Record<string, unknown>[] | undefined;
    const send = (message: unknown) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    const refuse = (error: string) => {
      send({ error });
      socket.end();
    };
    lines.on('line', (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return refuse('not JSON');
      }
      if (child) return relay(child, message);
      if (pending) return void pending.push(message);
      if (message.register) return register(message.register as Registration);
      if (message.run) {
        pending = [];
        return void run(message.run as RunRequest);
      }
      refuse('unknown request');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      // The client is gone (killed by the agent's timeout, say): so is its command.
      if (child?.pid && child.exitCode === null) killGroup(child, 'SIGKILL');
      armIdle();
    });

    function register(registration: Registration) {
      if (typeof registration.command !== 'string' || typeof registration.settings !== 'object') {
        return refuse('a registration needs command and settings');
      }
      for (const [known, { expires }] of registrations) {
        if (expires < Date.now()) registrations.delete(known);
      }
      const token = randomBytes(24).toString('hex');
      registrations.set(token, {
        command: registration.command,
        settings: registration.settings,
        expires: Date.now() + TOKEN_LIFETIME_MS,
      });
      send({ token });
      socket.end();
    }

    async function run(request: RunRequest) {
      const registration = registrations.get(String(request.token));
      registrations.delete(String(request.token));
      if (!registration || registration.expires < Date.now()) return refuse('unknown or expired token');
      if (registration.command !== request.command) return refuse('the command is not the one registered');
      let line: string;
      try {
        // The network lists are the runner's own (its proxies filter by them): runners are kept per list.
        const { denyRead, allowRead, allowWrite, denyWrite } = registration.settings.filesystem;
        line = await SandboxManager.wrapWithSandbox(registration.command, undefined, {
          filesystem: {
            // The runner's own folder is hidden: a confined command must not reach the socket that registers
            // commands under settings of its choosing (the seccomp filter that blocks Unix sockets is not on every
            // architecture).
            denyRead: [...denyRead, dirname(options.socketPath)],
            allowRead: [...allowRead],
            allowWrite: [...allowWrite],
            denyWrite: [...denyWrite],
          },
        });
      } catch (error) {
        return refuse(`the sandbox cannot wrap the command: ${(error as Error).message}`);
      }
      const started = spawn('/bin/sh', ['-c', line], {
        cwd: typeof request.cwd === 'string' ? request.cwd : '/',
        env: request.env && typeof request.env === 'object' ? (request.env as NodeJS.ProcessEnv) : {},
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      child = started;
      running.add(started);
      for (const message of pending ?? []) relay(started, message);
      started.stdout?.on('data', (chunk: Buffer) => send({ out: chunk.toString('base64') }));
      started.stderr?.on('data', (chunk: Buffer) => send({ err: chunk.toString('base64') }));
      started.stdin?.on('error', () => {});
      started.on('error', (error) => refuse(`cannot start the command: ${error.message}`));
      started.on('close', (code, signal) => {
        running.delete(started);
        // Mount points bubblewrap made on the host are removed when no confined command needs them.
        if (running.size === 0) SandboxManager.cleanupAfterCommand();
        send({ exit: code ?? 128 + signalNumber(signal) });
        socket.end();
      });
    }
  });

  function relay(child: ChildProcess, message: Record<string, unknown>) {
    if (typeof message.in === 'string') child.stdin?.write(Buffer.from(message.in, 'base64'));
    else if (message.eof) child.stdin?.end();
    else if (typeof message.signal === 'string' && SIGNALS.includes(message.signal)) {
      killGroup(child, message.signal as NodeJS.Signals);
    }
  }

  function armIdle() {
    clearTimeout(idle);
    if (running.size > 0) return;
    idle = setTimeout(() => {
      for (const [known, { expires }] of registrations) {
        if (expires < Date.now()) registrations.delete(known);
      }
      // A registered command not run yet (an `ask` waiting for a person) keeps the runner up until it expires.
      if (registrations.size > 0 || running.size > 0) armIdle();
      else void close();
    }, idleMs);
    idle.unref();
  }

  async function close() {
    clearTimeout(idle);
    for (const child of running) killGroup(child, 'SIGKILL');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await SandboxManager.reset();
  }

  if (await answers(options.socketPath)) {
    // Another runner serves this socket: leave it be.
    await SandboxManager.reset();
    return { close: async () => {}, alreadyRunning: true };
  }
  rmSync(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, resolve);
  });
  armIdle();
  return { close, alreadyRunning: false };
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    probe.on('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
}

interface RunRequest {
  readonly token?: unknown;
  readonly command?: unknown;
  readonly cwd?: unknown;
  readonly env?: unknown;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'];

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}
