#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from '@cavra/daemon-client';
import { DAEMON_VERSION, startDaemon } from './daemon.js';
import { type DaemonConfig, loadDaemonConfig } from './daemon-config.js';
import { jsonLogger } from './logger.js';
import { verifyEvidenceLog } from './verify-evidence-log.js';

const USAGE = `cavra-daemon ${DAEMON_VERSION}: the CAVRA local enforcement daemon

usage:
  cavra-daemon start   [--config FILE] [--socket PATH] [--foreground]
  cavra-daemon stop    [--config FILE] [--socket PATH]
  cavra-daemon status  [--config FILE] [--socket PATH]
  cavra-daemon reload  [--config FILE] [--socket PATH]
  cavra-daemon evidence verify FILE

options:
  --config FILE   daemon configuration, YAML or JSON (default: ./cavra-daemon.yaml)
  --socket PATH   socket path, overriding the configuration
  --foreground    stay attached (for process managers); logs go to stderr
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
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.help) return print(USAGE, 0);
  if (values.version) return print(`${DAEMON_VERSION}\n`, 0);
  const [command, ...rest] = positionals;
  if (command === 'evidence') {
    if (rest[0] !== 'verify' || rest.length !== 2)
      throw new UsageError('usage: cavra-daemon evidence verify FILE');
    return verify(rest[1] as string);
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const load = () => loadDaemonConfig(values.config, values.socket ? { socketPath: values.socket } : {});
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
  const running = await readPid(config.pidFile);
  if (running !== undefined && alive(running))
    return print(`cavra-daemon is already running (pid ${running})\n`, 1);
  const logger = jsonLogger();
  const daemon = await startDaemon(config, { logger });
  await writeFile(config.pidFile, `${process.pid}\n`, { mode: 0o600 });
  process.on('SIGHUP', () => {
    daemon.reload().catch(() => undefined); // logged by the daemon; the old policy stays in force
  });
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await daemon.close();
  await rm(config.pidFile, { force: true });
  return 0;
}

async function startBackground(
  config: DaemonConfig,
  configFile: string,
  socket: string | undefined,
): Promise<number> {
  const logFile = join(dirname(config.pidFile), 'daemon.log');
  const args = [fileURLToPath(import.meta.url), 'start', '--foreground', '--config', resolve(configFile)];
  if (socket) args.push('--socket', resolve(socket));
  await mkdir(dirname(config.pidFile), { recursive: true, mode: 0o700 });
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'ignore', openSync(logFile, 'a', 0o600)],
  });
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  const client = createClient({ socketPath: config.socketPath, timeoutMs: 1000 });
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (exited !== null) return print(`cavra-daemon failed to start (exit ${exited}); see ${logFile}\n`, 1);
      try {
        const health = await client.health();
        return print(
          `cavra-daemon ${health.version} started (pid ${child.pid}) on ${config.socketPath}\n`,
          0,
        );
      } catch {
        await new Promise((wait) => setTimeout(wait, 100));
      }
    }
    return print(`cavra-daemon did not answer within 10 s; see ${logFile}\n`, 1);
  } finally {
    await client.close();
  }
}

async function stop(config: DaemonConfig): Promise<number> {
  const pid = await readPid(config.pidFile);
  if (pid === undefined || !alive(pid)) return print('cavra-daemon is not running\n', 0);
  process.kill(pid, 'SIGTERM');
  for (let attempt = 0; attempt < 150; attempt++) {
    if (!alive(pid)) return print(`cavra-daemon stopped (pid ${pid})\n`, 0);
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return print(`cavra-daemon (pid ${pid}) did not stop within 15 s\n`, 1);
}

async function status(config: DaemonConfig): Promise<number> {
  const client = createClient({ socketPath: config.socketPath, timeoutMs: 2000 });
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
  if (pid === undefined || !alive(pid)) return print('cavra-daemon is not running\n', 1);
  process.kill(pid, name);
  return print(`${done} (pid ${pid})\n`, 0);
}

async function verify(path: string): Promise<number> {
  const result = await verifyEvidenceLog(path);
  const lines = [
    `${path}: ${result.records} records, ${result.ok ? 'chain intact' : `${result.problems.length} problems`}`,
    `last hash ${result.lastHash}`,
    ...(result.tornTail
      ? ['a torn last line (a write interrupted by a crash, never acknowledged) was ignored']
      : []),
    ...result.problems.map((problem) => `line ${problem.line}: ${problem.problem}: ${problem.message}`),
  ];
  return print(`${lines.join('\n')}\n`, result.ok ? 0 : 1);
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
