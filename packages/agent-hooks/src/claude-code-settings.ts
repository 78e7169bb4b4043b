import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { shareInstanceof } from '@cavra/contracts';

/** Which settings file: the project's `.claude/settings.json` or the user's `~/.claude/settings.json`. */
export type SettingsScope = 'project' | 'user';

export interface ClaudeCodeInstallOptions {
  readonly scope?: SettingsScope;
  /** The project directory (scope `project`); default the working directory. */
  readonly projectDir?: string;
  /** The home directory (scope `user`); default the user's. */
  readonly homeDir?: string;
  /** The hook command; default: see `defaultHookCommand`. */
  readonly command?: string;
}

export interface InstallResult {
  readonly settingsFile: string;
  /** False when there was nothing to do (already installed, or nothing to remove). */
  readonly changed: boolean;
  readonly command: string;
}

/** A settings file that cannot be read as Claude Code settings; nothing was written. */
export class ClaudeCodeSettingsError extends Error {
  readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ClaudeCodeSettingsError';
    this.file = file;
  }
}
shareInstanceof(ClaudeCodeSettingsError, '@cavra/agent-hooks.ClaudeCodeSettingsError');

/**
 * The command the installer writes: for a project, the package's bin under the project's `node_modules`
 * (`"$CLAUDE_PROJECT_DIR"/node_modules/.bin/cavra-hook claude-code`), so that the settings file works on every
 * clone; for a user, `cavra-hook claude-code` from the PATH (install the package globally).
 */
export function defaultHookCommand(scope: SettingsScope): string {
  return scope === 'project'
    ? '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/cavra-hook claude-code'
    : 'cavra-hook claude-code';
}

/** The settings file a scope names. */
export function claudeCodeSettingsFile(options: ClaudeCodeInstallOptions = {}): string {
  return (options.scope ?? 'project') === 'project'
    ? join(options.projectDir ?? process.cwd(), '.claude', 'settings.json')
    : join(options.homeDir ?? homedir(), '.claude', 'settings.json');
}

/**
 * Adds the CAVRA `PreToolUse` hook (matcher `*`: every tool call is judged) to Claude Code's settings. Idempotent;
 * every other setting, hook and key order is kept. Throws ClaudeCodeSettingsError for a file that is not valid
 * settings JSON.
 */
export async function installClaudeCodeHook(options: ClaudeCodeInstallOptions = {}): Promise<InstallResult> {
  const file = claudeCodeSettingsFile(options);
  const command = options.command ?? defaultHookCommand(options.scope ?? 'project');
  const settings = (await readSettings(file)) ?? {};
  const groups = preToolUseGroups(settings, file, true) as HookGroup[];
  if (groups.some((group) => ours(group, command) >= 0))
    return { settingsFile: file, changed: false, command };
  groups.push({ matcher: '*', hooks: [{ type: 'command', command }] });
  await writeSettings(file, settings);
  return { settingsFile: file, changed: true, command };
}

/**
 * Removes the hook `installClaudeCodeHook` added (the handler with the same command), and the matcher group,
 * `PreToolUse` list and `hooks` object when that leaves them empty. Nothing else changes.
 */
export async function uninstallClaudeCodeHook(
  options: ClaudeCodeInstallOptions = {},
): Promise<InstallResult> {
  const file = claudeCodeSettingsFile(options);
  const command = options.command ?? defaultHookCommand(options.scope ?? 'project');
  const settings = await readSettings(file);
  const groups = settings ? preToolUseGroups(settings, file, false) : undefined;
  if (!settings || !groups) return { settingsFile: file, changed: false, command };
  let changed = false;
  for (let at = groups.length - 1; at >= 0; at--) {
    const group = groups[at] as HookGroup;
    const index = ours(group, command);
    if (index < 0) continue;
    group.hooks.splice(index, 1);
    if (group.hooks.length === 0) groups.splice(at, 1);
    changed = true;
  }
  if (!changed) return { settingsFile: file, changed: false, command };
  const hooks = settings.hooks as Record<string, unknown>;
  if (groups.length === 0) delete hooks.PreToolUse;
  if (Object.keys(hooks).length === 0) delete settings.hooks;
  await writeSettings(file, settings);
  return { settingsFile: file, changed: true, command };
}

interface HookGroup {
  matcher?: string;
  hooks: { type?: string; command?: string }[];
}

function ours(group: HookGroup, command: string): number {
  return group.hooks.findIndex((hook) => hook.type === 'command' && hook.command === command);
}

async function readSettings(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ClaudeCodeSettingsError(file, `cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClaudeCodeSettingsError(file, `is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new ClaudeCodeSettingsError(file, 'is not a JSON object');
  return value;
}

/** `hooks.PreToolUse`, checked; created when `create` is set, else undefined when absent. */
function preToolUseGroups(
  settings: Record<string, unknown>,
  file: string,
  create: boolean,
): HookGroup[] | undefined {
  if (settings.hooks === undefined) {
    if (!create) return undefined;
    settings.hooks = {};
  }
  const hooks = settings.hooks;
  if (!isObject(hooks)) throw new ClaudeCodeSettingsError(file, '/hooks is not an object');
  if (hooks.PreToolUse === undefined) {
    if (!create) return undefined;
    hooks.PreToolUse = [];
  }
  const groups = hooks.PreToolUse;
  if (!Array.isArray(groups)) throw new ClaudeCodeSettingsError(file, '/hooks/PreToolUse is not an array');
  groups.forEach((group, index) => {
    if (!isObject(group) || !Array.isArray(group.hooks)) {
      throw new ClaudeCodeSettingsError(file, `/hooks/PreToolUse/${index} has no hooks array`);
    }
  });
  return groups as HookGroup[];
}

/** Writes through a temporary file and a rename, so Claude Code never reads half a file; keeps the file's mode. */
async function writeSettings(file: string, settings: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const mode = await stat(file).then(
    (stats) => stats.mode & 0o777,
    () => 0o644,
  );
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(settings, null, 2)}\n`, { mode });
  await rename(temporary, file);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
