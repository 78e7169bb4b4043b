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
  unlinkSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Runs a CommonJS file (the bundled `cavra-daemon` command) with a V8 code cache, so that a start reads the compiled
 * code instead of compiling 1.2 MB of JavaScript. The cache changes speed only: V8 checks the cache against its own
 * version and flags and rejects a mismatch (the file is then compiled as without a cache), and the cache's file name
 * holds a SHA-256 of Node's version and options and of the file's identity and change time, since V8's own check of
 * the source is its length alone (any write to the file changes its change time; hashing the 1.5 MB text itself took
 * a tenth of a start).
 *
 * The cache lives in a folder of the user running the daemon (`$XDG_CACHE_HOME/cavra-daemon` or
 * `~/.cache/cavra-daemon`), checked as the daemon checks its other own files, since code read from it runs as the
 * daemon: the folder and the cache must be this user's, not symbolic links, and closed to group and others. A
 * folder or file that fails the checks is neither read nor written. This module loads nothing but Node's own
 * modules (the daemon's file checks in own-file.ts would load the contracts package first).
 */
export function runWithCodeCache(file: string): void {
  const fd = openSync(file, constants.O_RDONLY);
  let identity: Stats;
  let source: string;
  try {
    identity = fstatSync(fd);
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const cacheFile = cacheFileFor(identity);
  const cached = cacheFile === undefined ? undefined : readOwnFile(cacheFile);
  const script = new Script(wrap(source), { filename: file, cachedData: cached });
  if (cacheFile !== undefined && (cached === undefined || script.cachedDataRejected === true)) {
    // After the start, so that the cache also holds the functions the start compiled lazily.
    setTimeout(() => writeCache(cacheFile, script.createCachedData()), CACHE_WRITE_DELAY_MS).unref();
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}

/** Long enough for a daemon to be serving; a command that exits sooner (`status`) leaves no cache. */
const CACHE_WRITE_DELAY_MS = 1000;

// Node's own CommonJS wrapper: the bundle is a CommonJS module run as Node would run it.
function wrap(source: string): string {
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  return `(function (exports, require, module, __filename, __dirname) {${body}\n})`;
}

/** The cache file for this build of the file and this Node, or undefined when the cache folder is not safe to use. */
function cacheFileFor(file: Stats): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const folder = join(base, 'cavra-daemon');
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stats = lstatSync(folder);
    if (!stats.isDirectory() || stats.uid !== uid || (stats.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  const key = createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${process.execArgv.join(' ')}\0`)
    .update([file.dev, file.ino, file.size, file.mtimeMs, file.ctimeMs].join('\0'))
    .digest('hex');
  return join(folder, `code-${key.slice(0, 32)}.cache`);
}

/** The file's bytes when it is a regular file of this user closed to others (not followed if a link), else undefined. */
function readOwnFile(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.uid !== process.getuid?.() || (stats.mode & 0o077) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Writes the cache through a new file renamed over the old, so that no start reads half a cache. */
function writeCache(path: string, data: Buffer): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch {
    // Speed only: a cache that cannot be written is compiled again next time.
    try {
      unlinkSync(temporary);
    } catch {}
  }
}
