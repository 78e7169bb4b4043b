import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@cavra/daemon-client';

/** How long a daemon may take to answer or log: a guard against a hang, not a timing. */
const WAIT_MS = 60_000;

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Runs the CLI to completion: exit code, stdout and stderr (a failing exit is a result, not an exception). */
export function cli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error.code as number | undefined) ?? 1) : 0, stdout, stderr }),
    );
  });
}

const started = new Set<ChildProcess>();

/** Kills (SIGKILL) every daemon process a test left running. */
export function killDaemons(): void {
  for (const child of started) child.kill('SIGKILL');
  started.clear();
}

/** `cavra-daemon start --foreground` as a child process, its stderr (the JSON logs) collected. */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
  }

  /**
   * Spawns the daemon; with `socketPath`, resolves once that daemon (not another) answers health there. With
   * `fileSizeBlocks`, the daemon runs under `ulimit -f` (512-byte blocks): a write past it is cut short, then fails
   * with EFBIG, as on a full disk. `options`: more options of `start`.
   */
  static async start(
    configFile: string,
    socketPath?: string,
    env: NodeJS.ProcessEnv = {},
    fileSizeBlocks?: number,
    options: readonly string[] = [],
  ) {
    const command = [process.execPath, CLI, 'start', '--foreground', '--config', configFile, ...options];
    const [file, ...args] =
      fileSizeBlocks === undefined
        ? command
        : ['/bin/sh', '-c', `ulimit -f ${fileSizeBlocks} && exec "$@"`, 'sh', ...command];
    const child = spawn(file as string, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    started.add(child);
    const daemon = new DaemonProcess(child);
    if (socketPath) await daemon.answering(socketPath);
    return daemon;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** The log lines, parsed, without their timestamps. */
  logs(): Record<string, unknown>[] {
    return this.stderr
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const { time: _time, ...fields } = JSON.parse(line);
        return fields;
      });
  }

  /** Resolves once a log line with this message was written (within a minute: CI's 2 cores run every suite at once). */
  async logged(msg: string): Promise<void> {
    for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
      if (this.logs().some((line) => line.msg === msg)) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`daemon ${this.pid} never logged ${JSON.stringify(msg)}: ${this.stderr}`);
  }

  async answering(socketPath: string): Promise<void> {
    const client = createClient({ socketPath, timeoutMs: 500 });
    try {
      for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
        const health = await client.health().catch(() => undefined);
        if (health?.pid === this.pid) return;
        if (this.child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`daemon ${this.pid} did not answer on ${socketPath}: ${this.stderr}`);
    } finally {
      await client.close();
    }
  }

  /** Sends a signal and waits for the exit code. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}
