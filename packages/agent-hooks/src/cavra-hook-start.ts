#!/usr/bin/env node
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
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
// ($XDG_CACHE_HOME/cavra-hook, else ~/.cache/cavra-hook). V8 checks a cache against its own version and flags and the source it
// was made for, and compiles afresh when it does not match: a stale or broken cache costs speed, never a decision. The
// folder and the file must be the user's own and writable by nobody else (code cache is code), else no cache is used.

const MAIN = fileURLToPath(new URL('./cavra-hook-main.cjs', import.meta.url));

try {
  // The bundle keeps the entry's #! line, which is not JavaScript inside a function: blanked, lines kept.
  const source = readFileSync(MAIN, 'utf8').replace(/^#!.*/, '');
  const cache = cacheFile(source);
  const cachedData = cache ? readOwnFile(cache) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: MAIN,
    ...(cachedData ? { cachedData } : {}),
  });
  // Made once the hook has answered, so the functions it ran are in it.
  if (cache && (!cachedData || script.cachedDataRejected))
    process.once('exit', () => saveCache(cache, script));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(MAIN), module, MAIN, dirname(MAIN));
} catch (error) {
  // The last line of fail-closed, as in the hook itself: exit 2, which every agent reads as a block.
  process.stderr.write(`cavra-hook: no decision, denied: ${String(error)}\n`);
  process.exitCode = 2;
}

/** The cache file for this source, Node and machine, in a folder of the user's own; undefined when there is none. */
function cacheFile(source: string): string | undefined {
  if (typeof process.getuid !== 'function') return undefined;
  const { XDG_CACHE_HOME: base, HOME: home } = process.env;
  const folder = join(base && isAbsolute(base) ? base : join(home || homedir(), '.cache'), 'cavra-hook');
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (!ownedPrivately(lstatSync(folder)) || !ownedPrivately(lstatSync(dirname(folder)))) return undefined;
  } catch {
    return undefined;
  }
  const key = createHash('sha256')
    .update(`${process.version}\0${process.arch}\0`)
    .update(source)
    .digest('hex')
    .slice(0, 32);
  return join(folder, `cavra-hook-${key}.v8`);
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

/** Written aside and renamed into place: a reader finds the old cache or the new, never part of one. */
function saveCache(path: string, script: Script): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, script.createCachedData(), { flag: 'wx', mode: 0o600 });
    renameSync(temporary, path);
  } catch {
    // Best effort: the next start compiles again.
  }
}
