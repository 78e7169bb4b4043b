import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boundedCache } from './bounded-cache.js';
import { globRegex } from './glob-regex.js';
import { createLiteralIndex } from './literal-index.js';

/**
 * Path patterns are picomatch globs, dotfiles included (`**\/.env` matches `.env`, `a/.env` and `/home/u/.env`).
 * Targets are normalised first: backslashes become slashes, `.` and `..` segments are resolved, and leading `../`
 * segments are dropped, so a path cannot dodge a pattern by walking out of the workspace and back.
 *
 * A rooted target (`/…`, `~/…`, `~user/…`, or a Windows drive `C:/…` or `C:…`) is matched as written and also
 * relative to each of its ancestors, i.e. as every suffix that starts at a segment, so `.github/workflows/**`
 * catches `/home/u/repo/.github/workflows/ci.yml` without the engine knowing the workspace root. That only widens
 * what a pattern catches, which is safe because path patterns only ever block or ask for approval. Relative
 * targets cost nothing extra.
 */
export interface PathMatcher {
  /** Index of the first matching pattern, or -1. */
  match(path: string): number;
}

/** Options of compilePathPatterns. */
export interface PathPatternOptions {
  /**
   * Match regardless of case (picomatch `nocase`). On for filesystem patterns: `.ENV` is `.env` on macOS and
   * Windows, and a secrets file named `.ENV` is still one on Linux. Off for branch names, which git compares
   * exactly. Default false.
   */
  readonly nocase?: boolean;
  /**
   * Also match the path the operating system may open for the target (see windowsAlias): on for filesystem
   * patterns, where `.env.`, `.env::$DATA` and `.env/` must not dodge `**\/.env`. Off for branch names. Default false.
   */
  readonly osAliases?: boolean;
  /**
   * Also match each pattern as upstream CAVRA reads it (see upstreamPatternMatcher): on for filesystem patterns,
   * so a path list catches at least what upstream's catches (`**\/clusterrole*.yaml` catches
   * `a/clusterrole/x.yaml` there). Off for branch names. Default false.
   */
  readonly upstreamStars?: boolean;
}

/**
 * Upstream CAVRA's reading of a pattern, as a test: the whole value must match, `*` and `**` both stand for any
 * characters (`/` and blanks included), everything else is literal. Matched without a regex, in linear time: the
 * text before the first star must start the value, the text after the last must end it, and the texts between must
 * appear in order in between (leftmost first, which is all a star-only pattern needs).
 */
export function upstreamPatternMatcher(pattern: string, options: { readonly nocase?: boolean } = {}) {
  const fold = options.nocase === true ? (text: string) => text.toLowerCase() : (text: string) => text;
  const chunks = fold(pattern).split(/\*+/);
  const first = chunks[0] as string;
  if (chunks.length === 1) return (value: string) => fold(value) === first;
  const last = chunks[chunks.length - 1] as string;
  const middle = chunks.slice(1, -1).filter((chunk) => chunk !== '');
  return (value: string): boolean => {
    const text = fold(value);
    const end = text.length - last.length;
    if (end < first.length || !text.startsWith(first) || !text.endsWith(last)) return false;
    let at = first.length;
    for (const chunk of middle) {
      const found = text.indexOf(chunk, at);
      if (found < 0 || found + chunk.length > end) return false;
      at = found + chunk.length;
    }
    return true;
  };
}

// A matcher holds no state: the same list under the same options (the baseline's lists, in every pack inheriting it)
// gets the one built first.
const matchers = boundedCache<PathMatcher>(1024);

export function compilePathPatterns(
  patterns: readonly string[],
  options: PathPatternOptions = {},
): PathMatcher {
  const key = JSON.stringify([
    options.nocase === true,
    options.osAliases === true,
    options.upstreamStars === true,
    patterns,
  ]);
  return matchers(key, () => buildPathMatcher(patterns, options));
}

function buildPathMatcher(patterns: readonly string[], options: PathPatternOptions): PathMatcher {
  // Plain regexes rather than picomatch's matcher functions, which allocate a result per call; `windows: false`
  // because targets are normalised to `/` first, so decisions do not depend on the platform.
  const globOptions = { dot: true, nocase: options.nocase === true, windows: false };
  const regexes = patterns.map((pattern) => globRegex(pattern, globOptions));
  const upstream = options.upstreamStars
    ? patterns.map((pattern) => upstreamPatternMatcher(pattern, { nocase: globOptions.nocase }))
    : [];
  // picomatch also counts a target equal to the pattern text as a match, whatever the pattern's regex says.
  const tests = patterns.map(
    (pattern, index) => (path: string) =>
      path === pattern || (regexes[index] as RegExp).test(path) || upstream[index]?.(path) === true,
  );
  const fold = globOptions.nocase ? (text: string) => text.toLowerCase() : (text: string) => text;
  const literalIndex = createLiteralIndex(patterns.map((pattern) => requiredPieces(pattern)?.map(fold)));
  const matchOne = (path: string) => {
    if (path === '') return -1;
    const root = ROOT.exec(path);
    // Every ancestor-relative form is a suffix of the path, so the path's candidates are theirs too.
    const relative = root ? relativeToAncestors(path, root[0].length) : [];
    for (const candidate of literalIndex.candidates(fold(path))) {
      const test = tests[candidate] as (path: string) => boolean;
      if (test(path) || relative.some(test)) return candidate;
    }
    return -1;
  };
  return Object.freeze({
    match(path: string) {
      const index = matchOne(path);
      if (options.osAliases !== true || !ALIAS_HINT.test(path)) return index;
      const alias = windowsAlias(path);
      if (alias === path) return index;
      const aliasIndex = matchOne(alias);
      return index < 0 || (aliasIndex >= 0 && aliasIndex < index) ? aliasIndex : index;
    },
  });
}

/**
 * Literal pieces every path a pattern matches contains, under each of its readings (the text itself, the glob, and
 * upstream's stars): the texts between `*` and `/`. Only for patterns made of plain characters, stars and slashes,
 * where the glob has no other syntax (classes, braces, extglobs, `?`, escapes, negation); `.` and `..` pieces are
 * skipped since the glob drops a leading `./`. The pieces are ASCII, so a case-insensitive match is found in the
 * lower-cased path.
 */
function requiredPieces(pattern: string): string[] | undefined {
  if (!PLAIN_PATTERN.test(pattern)) return undefined;
  return pattern.split(/[*/]/).filter((piece) => piece !== '' && piece !== '.' && piece !== '..');
}

const PLAIN_PATTERN = /^[\w\-. /*~@%=:,]+$/;

// A colon, or a segment ending in a dot, a space or a slash: the only paths windowsAlias can change.
const ALIAS_HINT = /:|[. /]$|[. ]\//;

/**
 * The file Windows opens for a path, which the path as written may not look like: Win32 drops the trailing dots
 * and spaces of a segment (`.env.` and `.env ` open `.env`), and NTFS reads `name:stream:type` as a stream of
 * `name` (`.env::$DATA` is the content of `.env`, `.git::$INDEX_ALLOCATION` the `.git` directory). A trailing slash
 * is dropped too, as tools that resolve a path before opening it do (`.env/`). Matching it as well as the path
 * only widens what a pattern catches.
 */
function windowsAlias(path: string): string {
  const drive = /^[A-Za-z]:/.exec(path)?.[0] ?? '';
  const segments = path
    .slice(drive.length)
    .split('/')
    .map((segment) => {
      const colon = segment.indexOf(':');
      const name = colon < 0 ? segment : segment.slice(0, colon);
      // `...` stays as it is: a segment of dots only is not trimmed away.
      return name.replace(/[. ]+$/, '') || name;
    });
  const alias = `${drive}${segments.join('/')}`;
  return alias.length > 1 ? alias.replace(/\/+$/, '') : alias;
}

/** The form a path target is matched in (see the module comment). */
export function normalizePath(path: string): string {
  return posix.normalize(localPath(path.trim()).replaceAll('\\', '/')).replace(/^(\.\.\/)+/, '');
}

/**
 * A `file:` URL names the local path it decodes to (`file:///etc/%70asswd` is `/etc/passwd`), decoded by Node's
 * own `fileURLToPath`; one Node refuses (a remote host, an encoded `/`) is matched as written, as before.
 */
function localPath(target: string): string {
  if (!FILE_URL.test(target)) return target;
  try {
    return fileURLToPath(target);
  } catch {
    return target;
  }
}

const FILE_URL = /^file:/i;

// Where a rooted path starts: `/`, a home directory (`~`, `~user`) or a Windows drive (`C:`, `C:/`). Branch names
// never look like this (git refuses a leading `/`, and `~` and `:` anywhere), so branch matching is unaffected.
const ROOT = /^(?:\/+|~[^/]*(?:\/|$)|[A-Za-z]:\/?)/;

/** `/home/u/.env` (root `/`) -> `home/u/.env`, `u/.env`, `.env`. */
function relativeToAncestors(path: string, rootLength: number): string[] {
  const forms: string[] = [];
  let start = rootLength;
  while (start < path.length) {
    forms.push(path.slice(start));
    const slash = path.indexOf('/', start);
    if (slash < 0) break;
    start = slash + 1;
  }
  return forms;
}
