import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { shareInstanceof } from '@cavra/contracts/plain';

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
  /** The PreToolUse command. */
  readonly command: string;
  /**
   * The PostToolUse command installed beside it (postToolUseCommand); absent when `command` does not run
   * `cavra-hook claude-code` (then no PostToolUse hook is installed).
   */
  readonly postToolUseCommand?: string;
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
 * The PostToolUse command that goes with a PreToolUse command: the same command and options, with the subcommand
 * `claude-code-post-tool-use` (it reaches the same daemon and state folder). Undefined for a command that does not
 * run `cavra-hook claude-code`.
 */
export function postToolUseCommand(preToolUseCommand: string): string | undefined {
  const post = preToolUseCommand.replace(PRE_TOOL_USE_SUBCOMMAND, '$1claude-code-post-tool-use');
  return post === preToolUseCommand ? undefined : post;
}

/** `cavra-hook claude-code` in a command line, whatever the path and quoting of the bin. */
const PRE_TOOL_USE_SUBCOMMAND = /((?:^|[\s/"'])cavra-hook["']?\s+)claude-code(?=\s|$)/;

/** One handler of ours in Claude Code's settings: the event, the matcher of its group and the command. */
export interface ClaudeCodeHookEntry {
  readonly event: 'PreToolUse' | 'PostToolUse' | 'SessionStart';
  /** The group's matcher (`*` for every tool); SessionStart groups have none. */
  readonly matcher?: string;
  readonly command: string;
}

/**
 * How a handler is recognised as ours, by event: a command that runs `cavra-hook … claude-code` (whatever its
 * path, quoting and options), `cavra-hook … claude-code-post-tool-use`, and the SessionStart command that starts
 * the daemon (`cavra-daemon … start`).
 */
const OUR_COMMANDS: Readonly<Record<ClaudeCodeHookEntry['event'], RegExp>> = {
  PreToolUse: /(^|[\s/"'])cavra-hook["']?\s+claude-code(\s|$)/,
  PostToolUse: /(^|[\s/"'])cavra-hook["']?\s+claude-code-post-tool-use(\s|$)/,
  SessionStart: /(^|[\s/"'])cavra-daemon["']?\s+(start|status)(\s|$)/,
};

/**
 * Adds the CAVRA `PreToolUse` hook (matcher `*`: every tool call is judged) to Claude Code's settings, and beside it
 * the `PostToolUse` hook that records which asked calls ran (postToolUseCommand), or replaces the command of the
 * ones already there (any command that runs `cavra-hook claude-code`, `… claude-code-post-tool-use`) in place: never
 * a second one. Every other setting, hook and key order is kept. Throws ClaudeCodeSettingsError for a file that is
 * not valid settings JSON.
 */
export async function installClaudeCodeHook(options: ClaudeCodeInstallOptions = {}): Promise<InstallResult> {
  const file = claudeCodeSettingsFile(options);
  const command = options.command ?? defaultHookCommand(options.scope ?? 'project');
  const post = postToolUseCommand(command);
  const changed = await writeClaudeCodeHooks(file, [
    { event: 'PreToolUse', matcher: '*', command },
    ...(post ? [{ event: 'PostToolUse' as const, matcher: '*', command: post }] : []),
  ]);
  return { settingsFile: file, changed, command, ...(post ? { postToolUseCommand: post } : {}) };
}

/**
 * Removes every handler of ours (see writeClaudeCodeHooks). When what is left is the settings as they were before
 * the first install, the file is restored byte for byte (or removed, when there was none); otherwise only our
 * handlers go, with the matcher groups, event lists and `hooks` object they leave empty.
 */
export async function uninstallClaudeCodeHook(
  options: ClaudeCodeInstallOptions = {},
): Promise<InstallResult> {
  const file = claudeCodeSettingsFile(options);
  const command = options.command ?? defaultHookCommand(options.scope ?? 'project');
  const post = postToolUseCommand(command);
  return {
    settingsFile: file,
    changed: await removeClaudeCodeHooks(file),
    command,
    ...(post ? { postToolUseCommand: post } : {}),
  };
}

/**
 * Puts each entry into the settings file: it replaces the command of the first handler of ours for its event
 * (OUR_COMMANDS), where it is, or is added in a group of its own; further handlers of ours for that event are
 * removed. Before the first change of an existing file its bytes are kept beside it (`<file>.cavra-orig`) for
 * removeClaudeCodeHooks. Returns whether the file changed.
 */
export async function writeClaudeCodeHooks(
  file: string,
  entries: readonly ClaudeCodeHookEntry[],
): Promise<boolean> {
  const original = await readText(file);
  const settings = original === undefined ? {} : parseSettings(file, original);
  const before = JSON.stringify(settings);
  for (const entry of entries) {
    const groups = eventGroups(settings, entry.event, file, true) as HookGroup[];
    let placed = false;
    const emptied = new Set<HookGroup>();
    for (const group of groups) {
      const had = group.hooks.length;
      group.hooks = group.hooks.filter((hook) => {
        if (!isOurs(hook, entry.event)) return true;
        if (placed) return false;
        hook.command = entry.command;
        placed = true;
        return true;
      });
      if (had > 0 && group.hooks.length === 0) emptied.add(group);
    }
    // Only a group that held nothing but duplicates of ours goes; an empty group the user wrote stays.
    const kept = groups.filter((group) => !emptied.has(group));
    groups.splice(0, groups.length, ...kept);
    if (!placed) {
      groups.push({
        ...(entry.matcher !== undefined ? { matcher: entry.matcher } : {}),
        hooks: [{ type: 'command', command: entry.command }],
      });
    }
  }
  if (JSON.stringify(settings) === before && original !== undefined) return false;
  const backup = `${file}${BACKUP_SUFFIX}`;
  if (original !== undefined && (await readText(backup)) === undefined)
    await writeAtomic(backup, original, 0o600);
  await writeSettings(file, settings);
  return true;
}

/** Removes every handler of ours; see uninstallClaudeCodeHook. Returns whether the file changed. */
export async function removeClaudeCodeHooks(file: string): Promise<boolean> {
  const text = await readText(file);
  const backupFile = `${file}${BACKUP_SUFFIX}`;
  const backup = await readText(backupFile);
  if (text === undefined) return false;
  const settings = parseSettings(file, text);
  let changed = false;
  for (const event of Object.keys(OUR_COMMANDS) as ClaudeCodeHookEntry['event'][]) {
    const groups = eventGroups(settings, event, file, false);
    if (!groups) continue;
    let removed = false;
    for (let at = groups.length - 1; at >= 0; at--) {
      const group = groups[at] as HookGroup;
      const kept = group.hooks.filter((hook) => !isOurs(hook, event));
      if (kept.length === group.hooks.length) continue;
      removed = true;
      group.hooks = kept;
      if (kept.length === 0) groups.splice(at, 1);
    }
    if (!removed) continue;
    changed = true;
    const hooks = settings.hooks as Record<string, unknown>;
    if (groups.length === 0) delete hooks[event];
    if (Object.keys(hooks).length === 0) delete settings.hooks;
  }
  if (!changed) return false;
  if (backup === undefined && sameValue(settings, {})) {
    // No backup: there was no settings file before ours, and nothing else is in it now.
    await rm(file, { force: true });
  } else if (backup !== undefined && sameValue(settings, parseOrUndefined(backup))) {
    await writeAtomic(file, backup, await modeOf(file));
  } else {
    await writeSettings(file, settings);
  }
  await rm(backupFile, { force: true });
  return true;
}

/** Beside the settings file, its bytes before our first change. */
const BACKUP_SUFFIX = '.cavra-orig';

interface HookGroup {
  matcher?: string;
  hooks: { type?: string; command?: string }[];
}

function isOurs(hook: HookGroup['hooks'][number], event: ClaudeCodeHookEntry['event']): boolean {
  return (
    hook.type === 'command' && typeof hook.command === 'string' && OUR_COMMANDS[event].test(hook.command)
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameValue(item, b[index]))
    );
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && sameValue(a[key], b[key]));
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ClaudeCodeSettingsError(file, `cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
}

function parseSettings(file: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClaudeCodeSettingsError(file, `is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new ClaudeCodeSettingsError(file, 'is not a JSON object');
  return value;
}

/** `hooks.<event>`, checked; created when `create` is set, else undefined when absent. */
function eventGroups(
  settings: Record<string, unknown>,
  event: string,
  file: string,
  create: boolean,
): HookGroup[] | undefined {
  if (settings.hooks === undefined) {
    if (!create) return undefined;
    settings.hooks = {};
  }
  const hooks = settings.hooks;
  if (!isObject(hooks)) throw new ClaudeCodeSettingsError(file, '/hooks is not an object');
  if (hooks[event] === undefined) {
    if (!create) return undefined;
    hooks[event] = [];
  }
  const groups = hooks[event];
  if (!Array.isArray(groups)) throw new ClaudeCodeSettingsError(file, `/hooks/${event} is not an array`);
  groups.forEach((group, index) => {
    if (!isObject(group) || !Array.isArray(group.hooks)) {
      throw new ClaudeCodeSettingsError(file, `/hooks/${event}/${index} has no hooks array`);
    }
  });
  return groups as HookGroup[];
}

/** Writes through a temporary file and a rename, so Claude Code never reads half a file; keeps the file's mode. */
async function writeSettings(file: string, settings: Record<string, unknown>): Promise<void> {
  await writeAtomic(file, `${JSON.stringify(settings, null, 2)}\n`, await modeOf(file));
}

/** A file's permission bits; 0o644 for a new one. */
function modeOf(file: string): Promise<number> {
  return stat(file).then(
    (stats) => stats.mode & 0o777,
    () => 0o644,
  );
}

/** Writes through a temporary file and a rename. */
export async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, file);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
