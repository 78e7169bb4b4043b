import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claudePayload,
  HOOK_BIN,
  HOOK_CACHE_HOME,
  HOOK_STATE_DIR,
  processResult,
  runHookProcess,
  startTestDaemon,
  type TestDaemon,
} from './support/test-daemon.js';

let daemon: TestDaemon;
beforeAll(async () => {
  daemon = await startTestDaemon();
});
afterAll(async () => {
  await daemon.close();
});

const READ_ENV = claudePayload('Read', { file_path: '/work/project/.env' });
const BLOCKED = {
  hookSpecificOutput: {
    hookEventName: 'PreToolUse',
    permissionDecision: 'deny',
    permissionDecisionReason:
      "CAVRA block (filesystem.read.block): reading '/work/project/.env' is blocked by pattern '.env' (filesystem.block_read[0])",
  },
};

/** The hook's answer with XDG_CACHE_HOME at `cacheHome`. */
async function decide(cacheHome: string) {
  const result = await runHookProcess(['claude-code', '--socket', daemon.socketPath], READ_ENV, {
    XDG_CACHE_HOME: cacheHome,
  });
  return { ...result, stdout: JSON.parse(result.stdout) };
}

const cacheFiles = (folder: string) => readdirSync(folder).filter((name) => name.endsWith('.v8'));

describe("the hook's V8 code cache", () => {
  it('is made in the user’s own folder on the first call and used by the next, the answer the same', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cavra-cache-'));
    const first = await decide(home);
    expect(first).toEqual({ stdout: BLOCKED, stderr: '', code: 0 });
    const folder = join(home, 'cavra-hook');
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const [file] = cacheFiles(folder);
    expect(file).toMatch(/^cavra-hook-[0-9a-f]{32}-connected\.v8$/);
    expect(statSync(join(folder, file as string)).mode & 0o777).toBe(0o600);
    const made = readFileSync(join(folder, file as string));
    expect(await decide(home)).toEqual(first);
    // Accepted by V8: not made again.
    expect(readFileSync(join(folder, file as string)).equals(made)).toBe(true);
  });

  it('is made again by the first call that asks the daemon when a call that did not made it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cavra-cache-'));
    const folder = join(home, 'cavra-hook');
    const passThrough = () =>
      runHookProcess(
        ['claude-code', '--socket', daemon.socketPath],
        claudePayload('TodoWrite', { todos: [] }),
        {
          XDG_CACHE_HOME: home,
        },
      );
    expect(await passThrough()).toEqual({ stdout: '', stderr: '', code: 0 });
    const [start] = cacheFiles(folder);
    expect(start).toMatch(/^cavra-hook-[0-9a-f]{32}\.v8$/);
    expect(await decide(home)).toEqual({ stdout: BLOCKED, stderr: '', code: 0 });
    // The same build's cache, with the decision's path in it, in place of the first.
    expect(cacheFiles(folder)).toEqual([(start as string).replace(/\.v8$/, '-connected.v8')]);
    const made = readFileSync(join(folder, cacheFiles(folder)[0] as string));
    expect(await passThrough()).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(await decide(home)).toEqual({ stdout: BLOCKED, stderr: '', code: 0 });
    expect(cacheFiles(folder)).toHaveLength(1);
    expect(readFileSync(join(folder, cacheFiles(folder)[0] as string)).equals(made)).toBe(true);
  });

  it('costs only speed when broken: a cache V8 rejects is compiled around and replaced', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cavra-cache-'));
    await decide(home);
    const folder = join(home, 'cavra-hook');
    const file = join(folder, cacheFiles(folder)[0] as string);
    writeFileSync(file, Buffer.alloc(statSync(file).size, 0x41));
    expect(await decide(home)).toEqual({ stdout: BLOCKED, stderr: '', code: 0 });
    expect(readFileSync(file).subarray(0, 16).equals(Buffer.alloc(16, 0x41))).toBe(false);
  });

  it("removes other installs' caches and a crashed write's file not written for a week, nothing else, when it writes one", async () => {
    const home = mkdtempSync(join(tmpdir(), 'cavra-cache-'));
    const folder = join(home, 'cavra-hook');
    mkdirSync(folder, { mode: 0o700 });
    const days = (count: number) => new Date(Date.now() - count * 24 * 60 * 60 * 1000);
    const file = (name: string, age: number) => {
      writeFileSync(join(folder, name), 'x', { mode: 0o600 });
      utimesSync(join(folder, name), days(age), days(age));
    };
    const old = `cavra-hook-${'a'.repeat(32)}.v8`;
    const oldConnected = `cavra-hook-${'b'.repeat(32)}-connected.v8`;
    const crashed = `cavra-hook-${'c'.repeat(32)}.v8.4242.tmp`;
    const recent = `cavra-hook-${'d'.repeat(32)}-connected.v8`;
    file(old, 8);
    file(oldConnected, 30);
    file(crashed, 8);
    file(recent, 6);
    file('notes.txt', 30);
    // A link with a cache's name, to an old file elsewhere: neither is removed.
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'cavra-cache-')), 'kept');
    writeFileSync(elsewhere, 'x');
    utimesSync(elsewhere, days(30), days(30));
    const linked = `cavra-hook-${'e'.repeat(32)}.v8`;
    symlinkSync(elsewhere, join(folder, linked));

    expect(await decide(home)).toEqual({ stdout: BLOCKED, stderr: '', code: 0 });
    const made = readdirSync(folder).find(
      (name) => /^cavra-hook-[0-9a-f]{32}-connected\.v8$/.test(name) && name !== recent,
    );
    expect(readdirSync(folder).sort()).toEqual([made, linked, 'notes.txt', recent].sort());
    expect(readFileSync(elsewhere, 'utf8')).toBe('x');
  });

  it('is not read or made in a folder others can write, or reached through a link', async () => {
    const open = mkdtempSync(join(tmpdir(), 'cavra-cache-'));
    mkdirSync(join(open, 'cavra-hook'));
    chmodSync(join(open, 'cavra-hook'), 0o777);
    expect(await decide(open)).toEqual({ stdout: BLOCKED, stderr: '', code: 0 });
    expect(cacheFiles(join(open, 'cavra-hook'))).toEqual([]);

    const elsewhere = mkdtempSync(join(tmpdir(), 'cavra-cache-'));
    const linked = mkdtempSync(join(tmpdir(), 'cavra-cache-'));
    symlinkSync(elsewhere, join(linked, 'cavra-hook'));
    expect(await decide(linked)).toEqual({ stdout: BLOCKED, stderr: '', code: 0 });
    expect(cacheFiles(elsewhere)).toEqual([]);
  });
});

describe("a hook call's start", () => {
  /**
   * The hook run with `args` and `input` under a preload of test/support (`preload`), and what the preload wrote when
   * the process exited (a JSON list of names, to the file named by CAVRA_TEST_OUTPUT).
   */
  async function withPreload(
    preload: string,
    args: readonly string[],
    input: string,
    env: NodeJS.ProcessEnv = {},
  ) {
    const output = join(mkdtempSync(join(tmpdir(), 'cavra-preload-')), 'output.json');
    const result = await runHookProcess(args, input, {
      NODE_OPTIONS: `--require ${fileURLToPath(new URL(`./support/${preload}`, import.meta.url))}`,
      CAVRA_TEST_OUTPUT: output,
      ...env,
    });
    return { result, names: JSON.parse(readFileSync(output, 'utf8')) as string[] };
  }
  /** The hook run, and the types of the asynchronous resources its process made. */
  async function withResources(args: readonly string[], input: string) {
    const { result, names } = await withPreload('pool-work.cjs', args, input);
    return { result, types: names };
  }
  // File system requests, DNS look-ups, compression and crypto jobs are what Node hands to the pool.
  const poolWork = (types: readonly string[]) =>
    types.filter((type) => /^FSREQ|^GETADDRINFO|^GETNAMEINFO|^ZLIB$|REQUEST$|JOB$/.test(type));

  it('runs nothing on libuv’s thread pool (its start would cost every tool call milliseconds): a read, an asked call and its PostToolUse', async () => {
    const read = await withResources(['claude-code', '--socket', daemon.socketPath], READ_ENV);
    expect({ ...read.result, stdout: JSON.parse(read.result.stdout) }).toEqual({
      stdout: BLOCKED,
      stderr: '',
      code: 0,
    });
    // Seen: the connection to the daemon.
    expect(read.types).toContain('PIPECONNECTWRAP');
    expect(poolWork(read.types)).toEqual([]);

    const kubectl = (event: string) =>
      JSON.stringify({
        ...JSON.parse(claudePayload('Bash', { command: 'kubectl get pods' })),
        hook_event_name: event,
        tool_use_id: 'toolu_pool',
      });
    const asked = await withResources(['claude-code', '--socket', daemon.socketPath], kubectl('PreToolUse'));
    expect(JSON.parse(asked.result.stdout).hookSpecificOutput.permissionDecision).toBe('ask');
    expect(readdirSync(join(HOOK_STATE_DIR, 'asked'))).toHaveLength(1);
    expect(poolWork(asked.types)).toEqual([]);

    const ran = await withResources(
      ['claude-code-post-tool-use', '--socket', daemon.socketPath],
      kubectl('PostToolUse'),
    );
    expect(ran.result).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(readdirSync(join(HOOK_STATE_DIR, 'asked'))).toEqual([]);
    expect(poolWork(ran.types)).toEqual([]);
  });

  /** The hook run, and the built-in modules its process loaded. */
  async function withModules(args: readonly string[], input: string, env: NodeJS.ProcessEnv = {}) {
    const { result, names } = await withPreload('loaded-modules.cjs', args, input, env);
    return { result, modules: names };
  }
  // Node's stream and socket modules, and node:crypto (which loads them): about a tenth of a hook's start.
  const heavy = (modules: readonly string[]) =>
    modules.filter((name) => /^NativeModule (net|stream|crypto|tty)$/.test(name));

  it('loads none of Node’s stream, socket or crypto modules for a call it never asks the daemon about: a pass-through tool, a PostToolUse with nothing asked', async () => {
    const todo = await withModules(
      ['claude-code', '--socket', daemon.socketPath],
      claudePayload('TodoWrite', { todos: [] }),
    );
    expect(todo.result).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(heavy(todo.modules)).toEqual([]);
    // Without --socket (the daemon's default socket, as `install` writes the hook): the same.
    const atDefault = await withModules(['claude-code'], claudePayload('TodoWrite', { todos: [] }));
    expect(atDefault.result).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(heavy(atDefault.modules)).toEqual([]);

    // A state folder whose `asked` folder exists and is empty: the PostToolUse hook looks and finds nothing to take.
    const state = mkdtempSync(join(tmpdir(), 'cavra-hook-state-'));
    mkdirSync(join(state, 'asked'), { mode: 0o700 });
    const ran = await withModules(
      ['claude-code-post-tool-use', '--socket', daemon.socketPath],
      JSON.stringify({ ...JSON.parse(READ_ENV), hook_event_name: 'PostToolUse' }),
      { CAVRA_HOOK_STATE_DIR: state },
    );
    expect(ran.result).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(heavy(ran.modules)).toEqual([]);

    // A call the daemon decides needs the socket: the answer is the daemon's.
    const read = await withModules(['claude-code', '--socket', daemon.socketPath], READ_ENV);
    expect({ ...read.result, stdout: JSON.parse(read.result.stdout) }).toEqual({
      stdout: BLOCKED,
      stderr: '',
      code: 0,
    });
    expect(heavy(read.modules)).toContain('NativeModule net');
  });

  it('reads its payload from a standard input in non-blocking mode, the payload arriving late', async () => {
    // Perl (perl-base, on every Debian) sets O_NONBLOCK on the pipe and execs the hook: its first read finds nothing
    // yet (EAGAIN), which a Node parent never shows it (libuv gives a child blocking standard streams).
    const child = spawn(
      'perl',
      [
        '-MFcntl',
        '-e',
        'fcntl(STDIN, F_SETFL, fcntl(STDIN, F_GETFL, 0) | O_NONBLOCK) or die "fcntl: $!"; exec @ARGV or die "exec: $!"',
        process.execPath,
        HOOK_BIN,
        'claude-code',
        '--socket',
        daemon.socketPath,
      ],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: HOOK_CACHE_HOME },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const half = READ_ENV.length >> 1;
    setTimeout(() => child.stdin.write(READ_ENV.slice(0, half)), 300);
    setTimeout(() => child.stdin.end(READ_ENV.slice(half)), 600);
    const result = await processResult(child);
    expect({ ...result, stdout: JSON.parse(result.stdout) }).toEqual({
      stdout: BLOCKED,
      stderr: '',
      code: 0,
    });
  });

  it('blocks (exit 2) when the answer cannot be written: a deny lost on a closed stdout is neither a crash (exit 1) nor an exit 0', async () => {
    const child = spawn(process.execPath, [HOOK_BIN, 'claude-code', '--socket', daemon.socketPath], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: HOOK_CACHE_HOME },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    child.stdin.end(READ_ENV);
    const result = await processResult(child);
    expect({ stderr: result.stderr, code: result.code }).toEqual({ stderr: '', code: 2 });
  });
});
