import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ClaudeCodeSettingsError,
  claudeCodeInitHooks,
  initClaudeCode,
  installClaudeCodeHook,
  removeClaudeCodeInit,
  STARTER_PACK_PARENT,
  uninstallClaudeCodeHook,
} from '../src/index.js';
import { claudePayload, runHookProcess } from './support/test-daemon.js';

let project: string;
let settingsFile: string;
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'cavra-settings-'));
  settingsFile = join(project, '.claude', 'settings.json');
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

const OURS = {
  matcher: '*',
  hooks: [{ type: 'command', command: '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/cavra-hook claude-code' }],
};
const OURS_AFTER = {
  matcher: '*',
  hooks: [
    {
      type: 'command',
      command: '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/cavra-hook claude-code-post-tool-use',
    },
  ],
};

const EXISTING = {
  model: 'opus',
  permissions: { allow: ['Bash(npm test)'], deny: ['Read(./.env)'] },
  hooks: {
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './lint-bash.sh', timeout: 5 }] }],
    PostToolUse: [{ matcher: 'Write', hooks: [{ type: 'command', command: 'prettier --write' }] }],
  },
  env: { FOO: 'bar' },
};

async function settings(): Promise<unknown> {
  return JSON.parse(await readFile(settingsFile, 'utf8'));
}

describe('installClaudeCodeHook / uninstallClaudeCodeHook', () => {
  it('creates the project settings when there are none, and uninstall leaves no hook behind', async () => {
    expect(await installClaudeCodeHook({ projectDir: project })).toEqual({
      settingsFile,
      changed: true,
      command: OURS.hooks[0]?.command,
      postToolUseCommand: OURS_AFTER.hooks[0]?.command,
    });
    expect(await settings()).toEqual({ hooks: { PreToolUse: [OURS], PostToolUse: [OURS_AFTER] } });
    expect((await uninstallClaudeCodeHook({ projectDir: project })).changed).toBe(true);
    // There was no settings file: there is none again.
    expect(existsSync(settingsFile)).toBe(false);
  });

  it('keeps every other setting, is idempotent, and uninstall restores the file exactly', async () => {
    await mkdir(join(project, '.claude'));
    const original = `${JSON.stringify(EXISTING, null, 2)}\n`;
    await writeFile(settingsFile, original, { mode: 0o600 });
    await installClaudeCodeHook({ projectDir: project });
    const installed = await readFile(settingsFile, 'utf8');
    expect(JSON.parse(installed)).toEqual({
      ...EXISTING,
      hooks: {
        PreToolUse: [...EXISTING.hooks.PreToolUse, OURS],
        PostToolUse: [...EXISTING.hooks.PostToolUse, OURS_AFTER],
      },
    });
    expect((await stat(settingsFile)).mode & 0o777).toBe(0o600);
    expect((await installClaudeCodeHook({ projectDir: project })).changed).toBe(false);
    expect(await readFile(settingsFile, 'utf8')).toBe(installed);
    await uninstallClaudeCodeHook({ projectDir: project });
    expect(await readFile(settingsFile, 'utf8')).toBe(original);
    expect((await uninstallClaudeCodeHook({ projectDir: project })).changed).toBe(false);
  });

  it('removes only its own handler from a group the user added to', async () => {
    await installClaudeCodeHook({ projectDir: project });
    const edited = (await settings()) as { hooks: { PreToolUse: { hooks: unknown[] }[] } };
    edited.hooks.PreToolUse[0]?.hooks.push({ type: 'command', command: './mine.sh' });
    await writeFile(settingsFile, JSON.stringify(edited));
    await uninstallClaudeCodeHook({ projectDir: project });
    expect(await settings()).toEqual({
      hooks: { PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: './mine.sh' }] }] },
    });
  });

  it('installs no PostToolUse hook beside a command that does not run cavra-hook claude-code', async () => {
    const command = '/opt/acme/cavra-wrapper.sh';
    expect(await installClaudeCodeHook({ projectDir: project, command })).toEqual({
      settingsFile,
      changed: true,
      command,
    });
    expect(await settings()).toEqual({
      hooks: { PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command }] }] },
    });
  });

  it('writes the user settings with the command from the PATH', async () => {
    const result = await installClaudeCodeHook({ scope: 'user', homeDir: project });
    expect(result).toEqual({
      settingsFile,
      changed: true,
      command: 'cavra-hook claude-code',
      postToolUseCommand: 'cavra-hook claude-code-post-tool-use',
    });
  });

  it('refuses settings it cannot read, naming the file and what is wrong, and writes nothing', async () => {
    await mkdir(join(project, '.claude'));
    for (const [text, problem] of [
      ['{"model": ', /is not JSON/],
      ['[]', /is not a JSON object$/],
      ['{"hooks": []}', /\/hooks is not an object$/],
      ['{"hooks": {"PreToolUse": {}}}', /\/hooks\/PreToolUse is not an array$/],
      ['{"hooks": {"PreToolUse": [{"matcher": "*"}]}}', /\/hooks\/PreToolUse\/0 has no hooks array$/],
    ] as const) {
      await writeFile(settingsFile, text);
      const error = await installClaudeCodeHook({ projectDir: project }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClaudeCodeSettingsError);
      expect((error as Error).message.startsWith(`${settingsFile}: `)).toBe(true);
      expect((error as Error).message).toMatch(problem);
      expect(await readFile(settingsFile, 'utf8')).toBe(text);
    }
  });
});

describe('cavra-hook install|uninstall claude-code', () => {
  it('installs into the project named by --dir, then uninstalls', async () => {
    const install = await runHookProcess(['install', 'claude-code', '--project', '--dir', project], '');
    const hooks = `PreToolUse hook '${OURS.hooks[0]?.command}' and PostToolUse hook '${OURS_AFTER.hooks[0]?.command}'`;
    expect(install).toEqual({
      stdout: `cavra-hook: installed: ${hooks} in ${settingsFile}\n`,
      stderr: '',
      code: 0,
    });
    const again = await runHookProcess(['install', 'claude-code', '--dir', project], '');
    expect(again.stdout).toBe(`cavra-hook: already installed: ${hooks} in ${settingsFile}\n`);
    const uninstall = await runHookProcess(['uninstall', 'claude-code', '--dir', project], '');
    expect(uninstall.stdout).toBe(`cavra-hook: removed: ${hooks} in ${settingsFile}\n`);
    expect(existsSync(settingsFile)).toBe(false);
  });

  it('prints help with --help and -h, exit 0; after a hook command --help still denies (exit 2)', async () => {
    const [top, short, install, hook] = await Promise.all([
      runHookProcess(['--help'], ''),
      runHookProcess(['-h'], ''),
      runHookProcess(['install', 'claude-code', '--help'], ''),
      runHookProcess(['claude-code', '--help'], claudePayload('Read', { file_path: '/a' })),
    ]);
    expect([top.code, top.stderr, short.stdout, install.stdout]).toEqual([0, '', top.stdout, top.stdout]);
    expect(top.stdout.split('\n')[0]).toBe(
      'cavra-hook: the pre-tool-use hook of AI coding agents: each tool call decided by CAVRA before it runs',
    );
    expect(top.stdout).toContain(
      '\nexamples:\n  cavra-hook init claude-code\n  cavra-hook install claude-code --project\n',
    );
    expect([hook.code, hook.stdout, hook.stderr]).toEqual([
      2,
      '',
      `${top.stdout}\ncavra-hook: --help, denied\n`,
    ]);
  });

  it('refuses conflicting scopes and unknown agents', async () => {
    const both = await runHookProcess(['install', 'claude-code', '--project', '--user'], '');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(
      /^cavra-hook: usage error, denied: --project and --user exclude each other\n/,
    );
    const other = await runHookProcess(['install', 'vim'], '');
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^cavra-hook: usage error, denied: install takes one agent: claude-code\n/);
  });
});

// Settings as a person writes them: other hooks (ours among them, twice, from an older install), odd spacing.
const HAND_WRITTEN = `{
    "model":"opus",
  "hooks": { "PreToolUse": [ {"matcher":"Bash","hooks":[{"type":"command","command":"./lint-bash.sh"}]} ],
             "SessionStart": [ {"hooks": [ {"type": "command", "command": "echo hi"} ]} ] },
  "env": {"A": "1"}
}
`;

describe('install replaces our entry; init and uninstall', () => {
  it('install with another --command replaces our handler in place, never adds a second', async () => {
    await installClaudeCodeHook({ projectDir: project });
    const command = 'cavra-hook claude-code --socket /run/cavra.sock';
    const post = 'cavra-hook claude-code-post-tool-use --socket /run/cavra.sock';
    expect(await installClaudeCodeHook({ projectDir: project, command })).toEqual({
      settingsFile,
      changed: true,
      command,
      postToolUseCommand: post,
    });
    expect(await settings()).toEqual({
      hooks: {
        PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command }] }],
        PostToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: post }] }],
      },
    });
  });

  it('install collapses duplicates of ours left by an older version into one', async () => {
    await mkdir(join(project, '.claude'));
    const twice = (command: string) => ({ matcher: '*', hooks: [{ type: 'command', command }] });
    await writeFile(
      settingsFile,
      JSON.stringify({
        hooks: {
          PreToolUse: [twice('npx cavra-hook claude-code'), twice('"/x/cavra-hook" claude-code --socket /s')],
        },
      }),
    );
    await installClaudeCodeHook({ projectDir: project });
    expect(await settings()).toEqual({ hooks: { PreToolUse: [OURS], PostToolUse: [OURS_AFTER] } });
  });

  it('init writes the daemon config, the starter pack and its three hooks; re-running changes nothing', async () => {
    await mkdir(join(project, '.claude'));
    await writeFile(settingsFile, HAND_WRITTEN);
    const first = await runHookProcess(['init', 'claude-code', '--dir', project], '');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      [
        `cavra-hook: wrote ${join(project, '.cavra', 'cavra-daemon.yaml')}`,
        `cavra-hook: wrote ${join(project, '.cavra', 'team-pack.yaml')}`,
        `cavra-hook: wrote ${join(project, '.cavra', '.gitignore')}`,
        `cavra-hook: wrote: PreToolUse, PostToolUse and SessionStart hooks in ${settingsFile}`,
        '',
        'Start the daemon now, from the project directory (Claude Code also starts it when a session starts):',
        '  npx cavra-daemon start --config .cavra/cavra-daemon.yaml',
        'Until it answers, every tool call Claude Code makes is denied.',
        '',
      ].join('\n'),
    );
    const written = await readFile(settingsFile, 'utf8');
    const [pre, post, start] = claudeCodeInitHooks();
    expect(await settings()).toEqual({
      model: 'opus',
      hooks: {
        PreToolUse: [
          { matcher: 'Bash', hooks: [{ type: 'command', command: './lint-bash.sh' }] },
          { matcher: '*', hooks: [{ type: 'command', command: pre?.command }] },
        ],
        SessionStart: [
          { hooks: [{ type: 'command', command: 'echo hi' }] },
          { hooks: [{ type: 'command', command: start?.command }] },
        ],
        PostToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: post?.command }] }],
      },
      env: { A: '1' },
    });
    expect(pre?.command).toBe(
      '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/cavra-hook claude-code --socket "$CLAUDE_PROJECT_DIR"/.cavra/daemon.sock --daemon-config "$CLAUDE_PROJECT_DIR"/.cavra/cavra-daemon.yaml',
    );
    expect(post?.command).toBe(
      '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/cavra-hook claude-code-post-tool-use --socket "$CLAUDE_PROJECT_DIR"/.cavra/daemon.sock --daemon-config "$CLAUDE_PROJECT_DIR"/.cavra/cavra-daemon.yaml',
    );
    expect(await readFile(join(project, '.cavra', 'cavra-daemon.yaml'), 'utf8')).toContain(
      'socket_path: daemon.sock\nevidence_log: evidence.jsonl\npolicy_packs: [team-pack.yaml]\ndefault_pack: team\n',
    );
    expect(await readFile(join(project, '.cavra', 'team-pack.yaml'), 'utf8')).toContain(
      `metadata:\n  id: team\n  version: 0.1.0\n  extends: ${STARTER_PACK_PARENT}\n`,
    );
    const again = await runHookProcess(['init', 'claude-code', '--dir', project], '');
    expect(again.stdout).toContain(
      `cavra-hook: kept ${join(project, '.cavra', 'team-pack.yaml')} (already there)`,
    );
    expect(again.stdout).toContain(
      `cavra-hook: already there: PreToolUse, PostToolUse and SessionStart hooks in ${settingsFile}`,
    );
    expect(await readFile(settingsFile, 'utf8')).toBe(written);
    // install over init: still one handler of ours.
    await installClaudeCodeHook({ projectDir: project });
    expect(((await settings()) as { hooks: { PreToolUse: unknown[] } }).hooks.PreToolUse).toHaveLength(2);

    const removed = await runHookProcess(['init', 'claude-code', '--dir', project, '--remove'], '');
    expect(removed.stdout).toBe(
      'cavra-hook: removed the CAVRA hooks from .claude/settings.json; .cavra/ is kept (it holds the evidence log)\n',
    );
    expect(await readFile(settingsFile, 'utf8')).toBe(HAND_WRITTEN);
    expect(existsSync(`${settingsFile}.cavra-orig`)).toBe(false);
  });

  it('init follows a daemon config the team changed: its socket (the daemon default pack decides)', async () => {
    await mkdir(join(project, '.cavra'));
    await writeFile(
      join(project, '.cavra', 'cavra-daemon.yaml'),
      'socket_path: ../run/cavra.sock\nevidence_log: evidence.jsonl\ndefault_pack: acme\npolicy_packs: [acme.yaml]\n',
    );
    const result = await initClaudeCode({ projectDir: project });
    expect(result.kept).toEqual([join(project, '.cavra', 'cavra-daemon.yaml')]);
    expect(result.hooks[0]?.command).toBe(
      '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/cavra-hook claude-code --socket "$CLAUDE_PROJECT_DIR"/run/cavra.sock --daemon-config "$CLAUDE_PROJECT_DIR"/.cavra/cavra-daemon.yaml',
    );
    await writeFile(join(project, '.cavra', 'cavra-daemon.yaml'), 'evidence_log: /var/log/cavra.jsonl\n');
    expect((await initClaudeCode({ projectDir: project })).hooks[0]?.command).toBe(
      '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/cavra-hook claude-code --daemon-config "$CLAUDE_PROJECT_DIR"/.cavra/cavra-daemon.yaml',
    );
  });

  it('uninstall after the user changed other settings removes only ours', async () => {
    await mkdir(join(project, '.claude'));
    await writeFile(settingsFile, HAND_WRITTEN);
    await initClaudeCode({ projectDir: project });
    const edited = (await settings()) as Record<string, unknown>;
    edited.model = 'sonnet';
    await writeFile(settingsFile, JSON.stringify(edited));
    expect(await removeClaudeCodeInit({ projectDir: project })).toBe(true);
    expect(await settings()).toEqual({ ...(JSON.parse(HAND_WRITTEN) as object), model: 'sonnet' });
  });
});
