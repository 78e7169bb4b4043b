import { createLiteralIndex } from './literal-index.js';
import { upstreamPatternMatcher } from './path-pattern.js';

/**
 * Command patterns, read as upstream CAVRA reads them: the whole command must match, `*` (and `**`) stands for any
 * characters, blanks included, and everything else is literal, after trimming the pattern and collapsing its
 * whitespace runs (`terraform apply*` matches `terraform apply -auto-approve`; `rm -rf /*` matches every
 * `rm -rf /…`). With `widen` (block and approval lists) a pattern ending in ` *` also matches its prefix alone
 * (`sudo *` matches `sudo`), so those lists catch at least what upstream's and our earlier reading caught.
 */
export interface CommandMatcher {
  /** Index of the first matching pattern, or -1. */
  match(command: string): number;
}

export function compileCommandPatterns(
  patterns: readonly string[],
  options: { readonly widen?: boolean } = {},
): CommandMatcher {
  const exact = new Map<string, number>();
  const wildcards: {
    readonly matches: (command: string) => boolean;
    readonly index: number;
    // The texts between stars, which every command the pattern matches contains.
    readonly pieces: readonly string[];
  }[] = [];
  patterns.forEach((raw, index) => {
    const pattern = normalizeCommand(raw);
    if (pattern.includes('*')) {
      wildcards.push({ matches: upstreamPatternMatcher(pattern), index, pieces: pattern.split('*') });
      if (options.widen && pattern.endsWith(' *')) setFirst(exact, pattern.slice(0, -2), index);
    } else setFirst(exact, pattern, index);
  });
  const literalIndex = createLiteralIndex(wildcards.map(({ pieces }) => pieces));
  return {
    match(command) {
      const best = exact.get(command) ?? -1;
      for (const candidate of literalIndex.candidates(command)) {
        const { matches, index } = wildcards[candidate] as (typeof wildcards)[number];
        if (best !== -1 && index > best) break;
        if (matches(command)) return index;
      }
      return best;
    },
  };
}

function setFirst(map: Map<string, number>, key: string, index: number): void {
  if (!map.has(key)) map.set(key, index);
}

/** Trims a command and collapses whitespace runs to one space: the form patterns are compared against. */
export function normalizeCommand(command: string): string {
  return command.trim().replace(/\s+/g, ' ');
}
