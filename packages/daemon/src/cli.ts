#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DaemonClient } from '@cavra/daemon-client';
import type { Daemon } from './daemon.js';
import type { DaemonConfig } from './daemon-config.js';
import { jsonLogger } from './logger.js';
import { processRunning } from './process-running.js';
import { verifyEvidenceLog } from './verify-evidence-log.js';
import { DAEMON_VERSION } from './version.js';

// The daemon, its config loader and the client are imported by the commands that use them, so that `evidence
// verify`, `--version` and `--help` start without loading the policy engine, the schema validator or the client.
const createClient = async (options: { socketPath: string; timeoutMs: number }) =>
  (await import('@cavra/daemon-client')).createClient(options);

const USAGE = `cavra-daemon ${DAEMON_VERSION}: the CAVRA local enforcement daemon

usage:
  cavra-daemon start   [--config FILE] [--socket PATH] [--foreground]
  cavra-daemon stop    [--config FILE] [--socket PATH]
  cavra-daemon status  [--config FILE] [--socket PATH]
  cavra-daemon reload  [--config FILE] [--socket PATH]
  cavra-daemon evidence verify FILE [--anchor HASH]

options:
  --config FILE   daemon configuration, YAML or JSON (default: ./cavra-daemon.yaml)
  --socket PATH   socket path, overriding the configuration
  --foreground    stay attached (for process managers); logs go to stderr
  --anchor HASH   evidence verify: the log must hold a record with this hash (an evidence.last_hash from status
                  kept elsewhere), which detects records removed from the end
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'cavra-daemon.yaml' },
      socket: { type: 'string' },
      foreground: { type: 'boolean', default: false },
      anchor: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.help) return print(USAGE, 0);
  if (values.version) return print(`${DAEMON_VERSION}\n`, 0);
  const [command, ...rest] = positionals;
  if (command === 'evidence') {
    if (rest[0] !== 'verify' || rest.length !== 2)
      throw new UsageError('usage: cavra-daemon evidence verify FILE [--anchor HASH]');
    if (values.anchor !== undefined && !/^[0-9a-f]{64}$/.test(values.anchor))
      throw new UsageError('--anchor must be a SHA-256 hash: 64 lowercase hex digits');
    return verify(rest[1] as string, values.anchor);
  }
  if (values.anchor !== undefined) throw new UsageError('--anchor is an option of evidence verify');
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const load = async () =>
    (await import('./daemon-config.js')).loadDaemonConfig(
      values.config,
      values.socket ? { socketPath: values.socket } : {},
    );
  switch (command) {
    case 'start':
      return values.foreground
        ? runForeground(await load())
        : startBackground(await load(), values.config, values.socket);
    case 'stop':
      return stop(await load());
    case 'status':
      return status(await load());
    case 'reload':
      return signal(await load(), 'SIGHUP', 'reload requested');
    default:
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'a command is required');
  }
}

function print(text: string, code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(text);
  return code;
}

async function runForeground(config: DaemonConfig): Promise<number> {
  const logger = jsonLogger();
  const running = await readPid(config.pidFile);
  // Our own pid in the file is a leftover of an earlier life (a restarted container), not another daemon.
  if (running !== undefined && running !== process.pid && processRunning(running)) {
    logger.error('already running', { pid: running, pid_file: config.pidFile });
    return 1;
  }
  // Installed before starting: a SIGTERM or SIGHUP that arrives meanwhile must not kill a half-started daemon.
  let daemon: Daemon | undefined;
  let stopSignal: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolveStop) => {
    stopSignal = resolveStop;
  });
  process.once('SIGTERM', stopSignal);
  process.once('SIGINT', stopSignal);
  process.on('SIGHUP', () => {
    daemon?.reload().catch(() => undefined); // logged by the daemon; the old policy stays in force
  });
  try {
    const { startDaemon } = await import('./daemon.js');
    daemon = await startDaemon(config, { logger });
  } catch (error) {
    logger.error('failed to start', { error: (error as Error).message });
    return 1;
  }
  await writeFile(config.pidFile, `${process.pid}\n`, { mode: 0o600 });
  logger.info('stopping', { signal: await stopped });
  await daemon.close();
  await rm(config.pidFile, { force: true });
  return 0;
}

async function startBackground(
  config: DaemonConfig,
  configFile: string,
  socket: string | undefined,
): Promise<number> {
  const running = await readPid(config.pidFile);
  if (running !== undefined && processRunning(running))
    return print(`cavra-daemon is already running (pid ${running})\n`, 1);
  const logFile = join(dirname(config.pidFile), 'daemon.log');
  const args = [fileURLToPath(import.meta.url), 'start', '--foreground', '--config', resolve(configFile)];
  if (socket) args.push('--socket', resolve(socket));
  const client = await createClient({ socketPath: config.socketPath, timeoutMs: 1000 });
  try {
    const other = await client.health().catch(() => undefined);
    if (other) {
      return print(`a daemon (pid ${other.pid}) is already listening on ${config.socketPath}\n`, 1);
    }
    await mkdir(dirname(config.pidFile), { recursive: true, mode: 0o700 });
    return await spawnAndWait(config, args, logFile, client);
  } finally {
    await client.close();
  }
}

async function spawnAndWait(
  config: DaemonConfig,
  args: string[],
  logFile: string,
  client: DaemonClient,
): Promise<number> {
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'ignore', openSync(logFile, 'a', 0o600)],
  });
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  for (let attempt = 0; attempt < 100; attempt++) {
    if (exited !== null) return print(`cavra-daemon failed to start (exit ${exited}); see ${logFile}\n`, 1);
    const health = await client.health().catch(() => undefined);
    // Only our child's answer counts: another daemon that took the socket meanwhile is not a successful start.
    if (health !== undefined && health.pid === child.pid) {
      return print(`cavra-daemon ${health.version} started (pid ${child.pid}) on ${config.socketPath}\n`, 0);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return print(`cavra-daemon did not answer within 10 s; see ${logFile}\n`, 1);
}

async function stop(config: DaemonConfig): Promise<number> {
  const pid = await readPid(config.pidFile);
  if (pid === undefined || !processRunning(pid)) return print('cavra-daemon is not running\n', 0);
  const refused = send(pid, 'SIGTERM');
  if (refused) return print(refused, 1);
  for (let attempt = 0; attempt < 150; attempt++) {
    // A clean stop removes the pid file last; waiting for the pid alone would wait for the reaper of a detached
    // daemon, which can be slow to collect it.
    if (!processRunning(pid) || (await readPid(config.pidFile)) !== pid)
      return print(`cavra-daemon stopped (pid ${pid})\n`, 0);
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return print(`cavra-daemon (pid ${pid}) did not stop within 15 s\n`, 1);
}

async function status(config: DaemonConfig): Promise<number> {
  const client = await createClient({ socketPath: config.socketPath, timeoutMs: 2000 });
  try {
    return print(`${JSON.stringify(await client.health(), null, 2)}\n`, 0);
  } catch (error) {
    return print(`cavra-daemon is not answering on ${config.socketPath}: ${(error as Error).message}\n`, 1);
  } finally {
    await client.close();
  }
}

async function signal(config: DaemonConfig, name: NodeJS.Signals, done: string): Promise<number> {
  const pid = await readPid(config.pidFile);
  if (pid === undefined || !processRunning(pid)) return print('cavra-daemon is not running\n', 1);
  const refused = send(pid, name);
  if (refused) return print(refused, 1);
  return print(`${done} (pid ${pid})\n`, 0);
}

async function verify(path: string, anchor: string | undefined): Promise<number> {
  let result: Awaited<ReturnType<typeof verifyEvidenceLog>>;
  try {
    result = await verifyEvidenceLog(path, anchor ? { anchor } : {});
  } catch (error) {
    return print(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`, 1);
  }
  const lines = [
    `${path}: ${plural(result.records, 'record')}, ${result.ok ? 'chain intact' : plural(result.problems.length, 'problem')}`,
    `last hash ${result.lastHash}`,
    ...(result.tornTail
      ? ['a torn last line (a write interrupted by a crash, never acknowledged) was ignored']
      : []),
    ...result.problems.map((problem) => `line ${problem.line}: ${problem.problem}: ${problem.message}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`); // the report is the output, whatever it finds
  return result.ok ? 0 : 1;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `name` to the daemon; a daemon this user may not signal is reported, not thrown. */
function send(pid: number, name: NodeJS.Signals): string | undefined {
  try {
    process.kill(pid, name);
    return undefined;
  } catch (error) {
    return `cannot signal cavra-daemon (pid ${pid}): ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`cavra-daemon: ${error.message}\n${usage ? `\n${USAGE}` : ''}`);
    process.exitCode = usage ? 2 : 1;
  },
);
