#!/usr/bin/env node
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

// The start of `cavra-hook`: an agent runs it once per tool call, so its start-up is latency a user sees. The hook
// itself (cavra-hook-main.cjs, one bundled file) is compiled with a V8 code cache kept in the user's cache folder
// ($XDG_CACHE_HOME/cavra-hook, else ~/.cache/cavra-hook), one per build of that file (see cacheFile). V8 checks a cache
// against its own version and flags and the source's length, and compiles afresh when it does not match: a stale or
// broken cache costs speed, never a decision. The
// folder and the file must be the user's own and writable by nobody else (code cache is code), else no cache is used.

const MAIN = fileURLToPath(new URL('./cavra-hook-main.cjs', import.meta.url));

try {
  const fd = openSync(MAIN, constants.O_RDONLY);
  let main: Stats;
  let text: string;
  try {
    main = fstatSync(fd);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  // The bundle keeps the entry's #! line, which is not JavaScript inside a function: blanked, lines kept.
  const source = text.replace(/^#!.*/, '');
  const cache = cacheFiles(main);
  let cacheRead: string | undefined;
  let cachedData: Buffer | undefined;
  for (const file of cache ? [cache.connected, cache.start] : []) {
    cachedData = readOwnFile(file);
    if (cachedData) {
      cacheRead = file;
      break;
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: MAIN,
    ...(cachedData ? { cachedData } : {}),
  });
  // The hook loads node:net to connect to a socket (the daemon's; the warm sandbox runner's) and for nothing else: a
  // call that asked the daemon did, a call answered without it (a pass-through tool, a PostToolUse) did not.
  const base = createRequire(MAIN);
  let connected = false;
  const hookRequire = Object.assign((id: string) => {
    if (id === 'net') connected = true;
    return base(id);
  }, base);
  // Made once the hook has answered, so the functions it ran are in it (V8 compiles a function at its first call, and
  // a cache holds those compiled by then); made again by a call that connected after a cache made by one that did
  // not, so that the decision's path is in it whichever tool the agent called first.
  if (cache) {
    process.once('exit', () => {
      const current = cachedData && !script.cachedDataRejected;
      if (current && (cacheRead === cache.connected || !connected)) return;
      const file = connected ? cache.connected : cache.start;
      saveCache(file, script, cacheRead !== file ? cacheRead : undefined);
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, hookRequire, module, MAIN, dirname(MAIN));
} catch (error) {
  // The last line of fail-closed, as in the hook itself: exit 2, which every agent reads as a block.
  process.stderr.write(`cavra-hook: no decision, denied: ${String(error)}\n`);
  process.exitCode = 2;
}

/**
 * The cache files for this build of the hook, Node and machine, in a folder of the user's own (undefined when there is
 * none): one made by a call that connected to a socket, else one made by a call that did not.
 */
function cacheFiles(main: Stats): { connected: string; start: string } | undefined {
  if (typeof process.getuid !== 'function') return undefined;
  const { XDG_CACHE_HOME: base, HOME: home } = process.env;
  const folder = join(base && isAbsolute(base) ? base : join(home || homedir(), '.cache'), 'cavra-hook');
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (!ownedPrivately(lstatSync(folder)) || !ownedPrivately(lstatSync(dirname(folder)))) return undefined;
  } catch {
    return undefined;
  }
  // The file read, by its identity and change time (any write to it changes its ctime), not by a hash of its text:
  // node:crypto alone costs a hook ~3 ms of start-up. V8 checks only the source's length against a cache, so the key
  // must change with any edit to the file.
  const identity = [process.version, process.arch, main.dev, main.ino, main.size, main.mtimeMs, main.ctimeMs];
  const name = join(folder, `cavra-hook-${fnv1a128(identity.join('\0'))}`);
  return { connected: `${name}-connected.v8`, start: `${name}.v8` };
}

/** FNV-1a, 128 bits, as 32 hex digits (http://www.isthe.com/chongo/tech/comp/fnv/): a name, not a security check. */
function fnv1a128(text: string): string {
  // Constants here, not at the top: the start's code above runs before the module's later lines.
  const prime = 0x0000000001000000000000000000013bn;
  const mask = (1n << 128n) - 1n;
  let hash = 0x6c62272e07bb014262b821756295c58dn;
  for (let i = 0; i < text.length; i++) hash = ((hash ^ BigInt(text.charCodeAt(i))) * prime) & mask;
  return hash.toString(16).padStart(32, '0');
}

/** Not a link, the user's own, writable by nobody else. */
function ownedPrivately(stats: Stats): boolean {
  return !stats.isSymbolicLink() && stats.uid === process.getuid?.() && (stats.mode & 0o022) === 0;
}

function readOwnFile(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    return stats.isFile() && ownedPrivately(stats) ? readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Written aside and renamed into place: a reader finds the old cache or the new, never part of one. `replaced`, the
 * cache it supersedes, is removed then, and so are stale ones. Never throws: it runs at exit, where a throw would
 * change the exit code.
 */
function saveCache(path: string, script: Script, replaced: string | undefined): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, script.createCachedData(), { flag: 'wx', mode: 0o600 });
    renameSync(temporary, path);
    if (replaced) rmSync(replaced, { force: true });
    removeStaleCaches(dirname(path), path);
  } catch {
    // Best effort: the next start compiles again.
  }
}

/**
 * Removes the folder's cache files (and files a crashed write left) not written for a week, but `kept`. Every install
 * of the hook has its own key (an upgrade, each `npm ci`, another Node), and nothing else would ever remove its files;
 * an install still in use whose cache is removed compiles once and writes it again. Runs only when a cache is
 * written, which is rare; links and files of other names are left alone.
 */
function removeStaleCaches(folder: string, kept: string): void {
  const week = 7 * 24 * 60 * 60 * 1000;
  const now = Date.now();
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (path === kept || !/^cavra-hook-[0-9a-f]{32}(-connected)?\.v8(\.\d+\.tmp)?$/.test(name)) continue;
    try {
      const stats = lstatSync(path);
      if (stats.isFile() && now - stats.mtimeMs > week) rmSync(path, { force: true });
    } catch {
      // Removed meanwhile by another start: the next one.
    }
  }
}
