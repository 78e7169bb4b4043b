import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type Daemon, type Logger, resolveDaemonConfig, startDaemon } from '../src/index.js';
import { FIXED_NOW, removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { evaluate, type Frame, RawClient, REQUEST } from './support/raw-client.js';

// The daemon listens before the shell grammar has loaded. web-tree-sitter (not our code) is made to fail the grammar's
// load, or to hold it until a test lets it go; this file's process has loaded no grammar before.
const grammar = vi.hoisted(() => ({
  fail: true,
  held: undefined as Promise<void> | undefined,
}));
vi.mock('web-tree-sitter', async (importOriginal) => {
  const real = await importOriginal<typeof import('web-tree-sitter')>();
  return {
    ...real,
    Language: {
      load: async (path: string) => {
        if (grammar.fail) throw new Error('grammar file is damaged');
        await grammar.held;
        return real.Language.load(path);
      },
    },
  };
});

const command = (text: string) => ({
  ...REQUEST,
  action_type: 'execute_command',
  target: text,
  requested_operation: text,
});
const SHELL_SYNTAX = command('git status && git diff HEAD~1 -- src');

const running: Daemon[] = [];
afterEach(async () => {
  for (const daemon of running.splice(0)) await daemon.close();
});
afterAll(removeTempDirs);

async function start(logged: Frame[] = []) {
  const config = resolveDaemonConfig(
    { evidence_log: 'evidence.jsonl', socket_path: 'run/d.sock' },
    { baseDir: tempDir() },
  );
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    logged.push({ level, msg, ...fields });
  const logger: Logger = { info: line('info'), warn: line('warn'), error: line('error') };
  const daemon = await startDaemon(config, { clock: () => FIXED_NOW, ids: (kind) => `${kind}-1`, logger });
  running.push(daemon);
  return { daemon, client: await RawClient.connect(config.socketPath) };
}

/** Sends one evaluate frame on a connection of its own and resolves with its answer. */
async function ask(daemon: Daemon, request: Record<string, unknown>): Promise<Frame> {
  const client = await RawClient.connect(daemon.socketPath);
  client.send(evaluate('e', request));
  const answer = (await client.next()) as Frame;
  client.socket.destroy();
  return answer;
}

describe('a daemon whose shell grammar fails to load', () => {
  it('answers commands that need it with its internal error, logs why, says so in health, and decides the rest', async () => {
    const logged: Frame[] = [];
    const { daemon } = await start(logged);
    expect((await ask(daemon, REQUEST)).decision.decision).toBe('block');
    expect((await ask(daemon, command('npm test'))).decision.decision).toBe('allow');
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await ask(daemon, SHELL_SYNTAX)).toEqual({
        v: 1,
        id: 'e',
        type: 'error',
        error: { code: 'internal', message: 'internal error; the request was not decided' },
      });
    }
    expect(daemon.health().shell_parser).toBe('failed');
    expect(logged.filter((entry) => entry.level === 'error')).toEqual([
      {
        level: 'error',
        msg: 'the shell parser failed to load; commands that need it are not decided',
        error: 'grammar file is damaged',
      },
      {
        level: 'error',
        msg: 'request failed',
        error: 'the shell parser failed to load: grammar file is damaged',
      },
      {
        level: 'error',
        msg: 'request failed',
        error: 'the shell parser failed to load: grammar file is damaged',
      },
    ]);
    expect(daemon.health().counts.decisions).toEqual({ block: 1, allow: 1 });
  });
});

describe('a daemon whose shell grammar is still loading', () => {
  it('decides what needs no parse at once, and a command that needs it once the grammar is there, as after', async () => {
    grammar.fail = false;
    let release = () => {};
    grammar.held = new Promise((resolve) => {
      release = resolve;
    });
    const { daemon } = await start();
    expect(daemon.health().shell_parser).toBe('loading');
    const waiting = ask(daemon, SHELL_SYNTAX);
    let answered = false;
    void waiting.then(() => {
      answered = true;
    });
    expect((await ask(daemon, REQUEST)).decision.decision).toBe('block');
    expect((await ask(daemon, command('npm test'))).decision.decision).toBe('allow');
    expect(answered).toBe(false);
    expect(daemon.health().shell_parser).toBe('loading');
    release();
    const early = await waiting;
    expect(daemon.health().shell_parser).toBe('ready');
    const late = await ask(daemon, SHELL_SYNTAX);
    expect(early.decision.decision).toBe('require_approval');
    expect(early.decision.rule_id).toBe('commands.default.require_approval');
    // The same decision but for where each record stands in the log.
    const { evidence_refs: earlyRefs, ...earlyDecision } = early.decision;
    const { evidence_refs: lateRefs, ...lateDecision } = late.decision;
    expect(earlyDecision).toEqual(lateDecision);
    expect(earlyRefs.slice(0, -1)).toEqual(lateRefs.slice(0, -1));
  });
});
