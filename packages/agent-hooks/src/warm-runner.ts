import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SandboxSettings } from '@cavra/runtime';
import { quote } from 'shell-quote';
import { ConfinementError } from './confinement-error.js';

/**
 * How long the hook waits for a runner it started to listen: a bound on a hang, not a measure. A start takes about a
 * second; on a loaded machine it took over 10 s (the limit before), and the call was denied for it.
 */
const START_TIMEOUT_MS = 30_000;

/**
 * The command that runs `command` confined through the warm runner (see sandbox-runner.ts): registers it there
 * under `settings` (starting the runner first when none listens; `beforeStart` checks the sandbox can start) and
 * returns `<node> cavra-sandbox run --socket S --token T -- '<command>'`. One runner per user and network list, its
 * socket in an owner-only folder; it exits after 30 minutes without work (`$CAVRA_SANDBOX_RUNNER_IDLE_MS`).
 */
export async function warmRunnerCommand(
  command: string,
  settings: SandboxSettings,
  beforeStart: () => Promise<void>,
): Promise<string> {
  const socketPath = await runnerSocket(settings.network.allowedDomains);
  let token = await register(socketPath, command, settings).catch(() => undefined);
  if (token === undefined) {
    await beforeStart();
    await startRunner(socketPath, settings.network.allowedDomains);
    token = await register(socketPath, command, settings).catch((error: Error) => {
      throw new ConfinementError(
        'sandbox_unavailable',
        `the sandbox runner does not answer: ${error.message}`,
      );
    });
  }
  return quote([
    process.execPath,
    sandboxBin(),
    'run',
    '--socket',
    socketPath,
    '--token',
    token,
    '--',
    command,
  ]);
}

function sandboxBin(): string {
  const manifest = createRequire(import.meta.url).resolve('@cavra/agent-hooks/package.json');
  return join(dirname(manifest), 'dist', 'bin', 'cavra-sandbox.js');
}

/** `<runtime dir>/cavra-sandbox-<uid>/runner-<hash of the runner's file and the domains>.sock`, the folder checked to be this user's alone. */
async function runnerSocket(domains: readonly string[]): Promise<string> {
  const uid = process.getuid?.() ?? 0;
  const folder = join(process.env.XDG_RUNTIME_DIR || tmpdir(), `cavra-sandbox-${uid}`);
  await mkdir(folder, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const stat = await lstat(folder);
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new ConfinementError(
      'sandbox_unavailable',
      `${folder} is not a folder only this user can use (mode ${(stat.mode & 0o777).toString(8)}, owner ${stat.uid})`,
    );
  }
  // The runner's own file is part of the name: a runner of another build of this package is never asked.
  const bin = sandboxBin();
  const hash = createHash('sha256')
    .update(JSON.stringify([bin, statSync(bin).mtimeMs, [...domains].sort()]))
    .digest('hex')
    .slice(0, 16);
  return join(folder, `runner-${hash}.sock`);
}

function register(socketPath: string, command: string, settings: SandboxSettings): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`${JSON.stringify({ register: { command, settings } })}\n`));
    const lines = createInterface({ input: socket });
    // readline re-emits the socket's errors.
    lines.on('error', reject);
    lines.once('line', (line) => {
      const answer = JSON.parse(line) as { token?: string; error?: string };
      socket.destroy();
      if (answer.token) resolve(answer.token);
      else reject(new Error(answer.error ?? 'no token'));
    });
    socket.on('close', () => reject(new Error('the runner closed the connection')));
  });
}

async function startRunner(socketPath: string, domains: readonly string[]): Promise<void> {
  const idleMs = process.env.CAVRA_SANDBOX_RUNNER_IDLE_MS;
  const args = [
    sandboxBin(),
    'serve',
    '--socket',
    socketPath,
    ...domains.flatMap((domain) => ['--allow-domain', domain]),
    ...(idleMs ? ['--idle-ms', idleMs] : []),
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('it did not start in time')), START_TIMEOUT_MS);
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        // Exit 0 after `ready`: another runner answered at the socket already.
        if (code === 0) resolve();
        else reject(new Error(stderr.trim() || `it exited with ${code}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw new ConfinementError(
      'sandbox_unavailable',
      `the sandbox runner cannot start: ${(error as Error).message}`,
    );
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.unref();
}
