import { mkdtempSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeCodeSettingsError, installClaudeCodeHook, uninstallClaudeCodeHook } from '../src/index.js';
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
    });
    expect(await settings()).toEqual({ hooks: { PreToolUse: [OURS] } });
    expect((await uninstallClaudeCodeHook({ projectDir: project })).changed).toBe(true);
    expect(await settings()).toEqual({});
  });

  it('keeps every other setting, is idempotent, and uninstall restores the file exactly', async () => {
    await mkdir(join(project, '.claude'));
    const original = `${JSON.stringify(EXISTING, null, 2)}\n`;
    await writeFile(settingsFile, original, { mode: 0o600 });
    await installClaudeCodeHook({ projectDir: project });
    const installed = await readFile(settingsFile, 'utf8');
    expect(JSON.parse(installed)).toEqual({
      ...EXISTING,
      hooks: { ...EXISTING.hooks, PreToolUse: [...EXISTING.hooks.PreToolUse, OURS] },
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

  it('writes the user settings with the command from the PATH', async () => {
    const result = await installClaudeCodeHook({ scope: 'user', homeDir: project });
    expect(result).toEqual({ settingsFile, changed: true, command: 'cavra-hook claude-code' });
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
    expect(install).toEqual({
      stdout: `cavra-hook: installed: PreToolUse hook '${OURS.hooks[0]?.command}' in ${settingsFile}\n`,
      stderr: '',
      code: 0,
    });
    const again = await runHookProcess(['install', 'claude-code', '--dir', project], '');
    expect(again.stdout).toBe(
      `cavra-hook: already installed: PreToolUse hook '${OURS.hooks[0]?.command}' in ${settingsFile}\n`,
    );
    const uninstall = await runHookProcess(['uninstall', 'claude-code', '--dir', project], '');
    expect(uninstall.stdout).toBe(
      `cavra-hook: removed: PreToolUse hook '${OURS.hooks[0]?.command}' in ${settingsFile}\n`,
    );
    expect(await settings()).toEqual({});
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
    expect(top.stdout).toContain('\nexamples:\n  cavra-hook install claude-code --project\n');
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
