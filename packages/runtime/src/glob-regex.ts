import picomatch from 'picomatch';

/** The picomatch options a path pattern is compiled with (see compilePathPatterns). */
export interface GlobRegexOptions {
  readonly dot: boolean;
  readonly nocase: boolean;
  readonly windows: boolean;
}

// A pack that inherits another compiles its parent's patterns again (the resolved pack holds them all): a fleet
// daemon did so at every bundle it activated, most of the compile's time. Regexes without the g or y flag keep no
// state between tests, so one can serve every pack. Bounded so that a long-running process that sees many packs
// keeps only the recent patterns (the oldest entry goes first).
const MAX_ENTRIES = 4096;
const cache = new Map<string, RegExp>();

/** picomatch.makeRe(pattern, options), compiled once per pattern and options. */
export function globRegex(pattern: string, options: GlobRegexOptions): RegExp {
  const key = `${options.dot ? 'd' : '-'}${options.nocase ? 'i' : '-'}${options.windows ? 'w' : '-'}${pattern}`;
  let regex = cache.get(key);
  if (regex === undefined) {
    regex = picomatch.makeRe(pattern, options);
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, regex);
  }
  return regex;
}
