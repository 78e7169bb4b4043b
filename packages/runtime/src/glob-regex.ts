import picomatch from 'picomatch';
import { boundedCache } from './bounded-cache.js';

/** The picomatch options a path pattern is compiled with (see compilePathPatterns). */
export interface GlobRegexOptions {
  readonly dot: boolean;
  readonly nocase: boolean;
  readonly windows: boolean;
}

// A pack that inherits another holds its parent's patterns too (the resolved pack has them all): a fleet daemon
// compiled the baseline's again at every bundle it activated, most of the compile's time. A regex without the g or
// y flag keeps no state between tests, so one serves every pack.
const cached = boundedCache<RegExp>(4096);

/** picomatch.makeRe(pattern, options), compiled once per pattern and options. */
export function globRegex(pattern: string, options: GlobRegexOptions): RegExp {
  const key = `${options.dot ? 'd' : '-'}${options.nocase ? 'i' : '-'}${options.windows ? 'w' : '-'}${pattern}`;
  return cached(key, () => picomatch.makeRe(pattern, options));
}
