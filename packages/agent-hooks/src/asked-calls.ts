import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  type Stats,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isSafeIdentifier } from '@cavra/contracts/plain';
import type { HookVerdict } from './verdict.js';

/**
 * The tool calls the PreToolUse hook answered `ask`, kept until Claude Code's PostToolUse hook says the call ran:
 * PostToolUse is told the call's `tool_use_id`, not the CAVRA decision, so PreToolUse leaves the decision id
 * under that id. One file per call, in a folder only its owner can enter; a file is removed when it is taken.
 * Calls the person refused never reach PostToolUse: their files go after MAX_AGE_MS, and never more than
 * MAX_ENTRIES stay.
 *
 * Its file operations are synchronous, in a process that lives for one call: the first asynchronous one would start
 * libuv's thread pool (milliseconds), and `node:fs/promises` loads a dozen of Node's modules into every hook's start.
 */
export interface AskedCalls {
  /** Keeps the decision an asked call waits on; throws when it cannot (the folder is not owner-only, say). */
  remember(call: AskedCallKey, asked: AskedCall): Promise<void>;
  /** The decision of an asked call, removed as it is read; undefined when the call was not asked. */
  take(call: AskedCallKey): Promise<AskedCall | undefined>;
}

/** Which call: Claude Code's ids, as its payloads send them. */
export interface AskedCallKey {
  /** The payload's `session_id` (empty when absent). */
  readonly sessionId: string;
  /** The payload's `tool_use_id`. */
  readonly toolUseId: string;
}

/** What PostToolUse needs to report an asked call that ran. */
export interface AskedCall {
  /** The id of the `require_approval` decision the call was asked on. */
  readonly decisionId: string;
  /** The tool, e.g. `Bash`. */
  readonly tool: string;
}

/** At most this many asked calls are kept; the oldest go first. */
export const MAX_ENTRIES = 256;
/** An asked call not taken within a day was refused (or its session ended). */
export const MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** An entry is a few hundred bytes; anything larger is not ours. */
const MAX_ENTRY_BYTES = 4096;
const ENTRY = /^[0-9a-f]{64}\.json$/;

/**
 * The folder the hook keeps its state in: `$CAVRA_HOOK_STATE_DIR`, else `$XDG_STATE_HOME/cavra-hook`, else
 * `~/.local/state/cavra-hook`.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  if (env.CAVRA_HOOK_STATE_DIR) return env.CAVRA_HOOK_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'cavra-hook');
}

/**
 * The asked calls kept in `<stateDir>/asked`, created 0700 when absent. Refused (an error) when the state folder is
 * a link, not this user's, or writable by others, or when `asked` is not this user's alone.
 */
export function askedCallsIn(stateDir: string): AskedCalls {
  const dir = join(stateDir, 'asked');
  return {
    async remember(call, asked) {
      // The state folder is checked before anything is made in it.
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      checkFolder(stateDir, 0o022);
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      checkFolder(dir, 0o077);
      prune(dir);
      const file = join(dir, await entryName(call));
      const text = JSON.stringify({ decision_id: asked.decisionId, tool: asked.tool });
      // A tool_use_id seen again (a resumed session) replaces the entry; never through a link.
      removeIfPresent(file);
      const fd = openSync(
        file,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      try {
        writeFileSync(fd, text);
      } finally {
        closeSync(fd);
      }
    },
    async take(call) {
      if (!exists(dir)) return undefined;
      checkFolder(stateDir, 0o022);
      checkFolder(dir, 0o077);
      // Most calls were never asked about: with no entry at all there is nothing to name (and node:crypto, with
      // Node's stream modules, stays unloaded in the PostToolUse hook that runs after every tool call).
      if (!readdirSync(dir).some((name) => ENTRY.test(name))) return undefined;
      const file = join(dir, await entryName(call));
      let fd: number;
      try {
        fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        const stats = fstatSync(fd);
        if (!stats.isFile() || stats.uid !== process.getuid?.() || stats.size > MAX_ENTRY_BYTES) {
          throw new Error(`${file} is not an asked call this hook wrote`);
        }
        return parseEntry(file, readFileSync(fd, 'utf8'));
      } finally {
        closeSync(fd);
        removeIfPresent(file);
      }
    },
  };
}

/**
 * Leaves the decision of a call answered `ask` (a `require_approval`) for the PostToolUse hook; any other verdict, or
 * a call without its ids, is returned as it is. When the decision cannot be left, the call is still asked (the person
 * decides, as without the record) and the reason says that whether it runs will not be recorded.
 */
export async function rememberAsk(
  verdict: HookVerdict,
  call: { readonly sessionId: string; readonly toolUseId?: string; readonly toolName?: string },
  askedCalls: AskedCalls,
): Promise<HookVerdict> {
  const decision = verdict.decision;
  const { toolUseId, toolName } = call;
  if (verdict.permission !== 'ask' || decision?.decision !== 'require_approval' || !toolUseId || !toolName) {
    return verdict;
  }
  try {
    await askedCalls.remember(
      { sessionId: call.sessionId, toolUseId },
      { decisionId: decision.decision_id, tool: toolName },
    );
    return verdict;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ...verdict, reason: `${verdict.reason} (CAVRA will not record whether it runs: ${message})` };
  }
}

/** The file of a call: a digest, so that no id the agent sends becomes a path. */
async function entryName(call: AskedCallKey): Promise<string> {
  // Loaded here: only a call answered ask (or its PostToolUse) names an entry, and node:crypto is a share of every
  // hook's start.
  const { createHash } = await import('node:crypto');
  return `${createHash('sha256').update(`${call.sessionId}\0${call.toolUseId}`).digest('hex')}.json`;
}

function parseEntry(file: string, text: string): AskedCall {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON`);
  }
  const { decision_id: decisionId, tool } = (value ?? {}) as Record<string, unknown>;
  if (typeof decisionId !== 'string' || !isSafeIdentifier(decisionId) || typeof tool !== 'string' || !tool) {
    throw new Error(`${file} holds no decision id and tool`);
  }
  return { decisionId, tool };
}

/** A real folder (not a link) of this user, with none of the `forbidden` permission bits. */
function checkFolder(dir: string, forbidden: number): void {
  const stats = lstatSync(dir);
  const uid = process.getuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid) || (stats.mode & forbidden) !== 0) {
    throw new Error(
      `${dir} must be a folder of this user (no symbolic link) that others cannot ${forbidden === 0o077 ? 'read or write (mode 0700)' : 'write'}`,
    );
  }
}

/** Removes the entries older than MAX_AGE_MS, then the oldest until fewer than MAX_ENTRIES remain. */
function prune(dir: string): void {
  const now = Date.now();
  const entries: { file: string; at: number }[] = [];
  for (const name of readdirSync(dir)) {
    if (!ENTRY.test(name)) continue;
    const file = join(dir, name);
    let stats: Stats;
    try {
      stats = lstatSync(file);
    } catch {
      continue;
    }
    if (now - stats.mtimeMs > MAX_AGE_MS) removeIfPresent(file);
    else entries.push({ file, at: stats.mtimeMs });
  }
  entries.sort((a, b) => a.at - b.at);
  for (const entry of entries.slice(0, Math.max(0, entries.length - MAX_ENTRIES + 1)))
    removeIfPresent(entry.file);
}

function exists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
