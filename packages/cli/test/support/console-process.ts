import { type ChildProcess, spawn } from 'node:child_process';
import { CAVRA } from './cavra.js';

const running: (() => Promise<void>)[] = [];

/** Stops the consoles started and still running (for afterEach). */
export async function stopConsoles(): Promise<void> {
  for (const stop of running.splice(0)) await stop();
}

/** `cavra console ARGS` in `cwd`, resolved once it printed its URL; `stop()` sends SIGTERM and resolves its exit. */
export async function startConsoleProcess(args: readonly string[], cwd: string) {
  const child: ChildProcess = spawn(process.execPath, [CAVRA, 'console', ...args], { cwd });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const found = /^cavra console: open (\S+)$/m.exec(stdout);
      if (found && stdout.includes('Ctrl-C stops it.\n')) resolve(found[1] as string);
    });
    child.once('exit', () => reject(new Error(`cavra console exited: ${stderr}`)));
  });
  const stop = async () => {
    child.kill('SIGTERM');
    return { code: await exited, stdout, stderr };
  };
  running.push(async () => {
    if (child.exitCode === null) await stop();
  });
  return { url, stop, output: () => stdout };
}

/** Signs in to a console with the token of its printed URL, as its page does; then GETs and POSTs as the page. */
export async function consoleSession(url: string) {
  const { origin, hash } = new URL(url);
  const signIn = await fetch(`${origin}/api/session`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ token: hash.slice('#token='.length) }),
  });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const { csrf_token: csrf } = (await signIn.json()) as { csrf_token: string };
  return {
    origin,
    csrf,
    get: async (path: string) => (await fetch(`${origin}${path}`, { headers: { cookie } })).json(),
    post: async (path: string, body: unknown) => {
      const response = await fetch(`${origin}${path}`, {
        method: 'POST',
        headers: { origin, cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: the answers are asserted field by field by the tests.
      return [response.status, (await response.json()) as any] as const;
    },
  };
}
