import { describe, expect, it } from 'vitest';
import { compileCommandPatterns } from '../src/command-pattern.js';
import { compilePathPatterns, type PathPatternOptions } from '../src/path-pattern.js';

/**
 * The indexed matchers against the plain reading of a first-match-wins list: each pattern tried on its own, in
 * order (a one-pattern list is never indexed). Patterns and targets are drawn from the same small vocabulary, so
 * they often share pieces, case and punctuation, and every list is long enough to be indexed.
 */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = (bound: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % bound;
  };
  const pick = <T>(items: readonly T[]) => items[next(items.length)] as T;
  return { next, pick };
}

const WORDS = [
  'src',
  'Secrets',
  'secrets-1',
  'env',
  '.env',
  'key',
  'a',
  'ab',
  'abc',
  'id_rsa',
  '.git',
  'x.pem',
];

function pathPattern(random: ReturnType<typeof generator>): string {
  const { next, pick } = random;
  const segments = Array.from({ length: 1 + next(3) }, () => {
    const form = next(20);
    if (form === 0) return '**';
    if (form === 1) return '*';
    if (form < 5) return `*${pick(WORDS)}`;
    if (form < 8) return `${pick(WORDS)}*`;
    if (form === 8) return pick(['{a,ab}', '[ab]c', '?bc', '!(src)', '\\*', 'a?']);
    return pick(WORDS);
  });
  // A pattern of stars alone matches nearly everything and would end every list's search at once.
  if (!segments.some((segment) => segment !== '*' && segment !== '**')) segments.push(pick(WORDS));
  const pattern = segments.join('/');
  return next(12) === 0 ? `./${pattern}` : pattern;
}

function pathTarget(random: ReturnType<typeof generator>): string {
  const { next, pick } = random;
  const root = pick(['', '', '/', '~/', 'C:/', '/home/u/']);
  const segments = Array.from({ length: 1 + next(4) }, () => {
    const word = pick(WORDS);
    const cased = next(5) === 0 ? word.toUpperCase() : word;
    return `${cased}${pick(['', '', '', '.', ' ', '::$DATA', 'x'])}`;
  });
  return `${root}${segments.join('/')}${next(8) === 0 ? '/' : ''}`;
}

function referencePathIndex(patterns: readonly string[], options: PathPatternOptions, path: string): number {
  return patterns.findIndex((pattern) => compilePathPatterns([pattern], options).match(path) === 0);
}

describe('indexed path matcher', () => {
  const optionSets: readonly PathPatternOptions[] = [
    {},
    { nocase: true, osAliases: true, upstreamStars: true },
  ];
  for (const options of optionSets) {
    it(`gives the reference's first index (${JSON.stringify(options)})`, () => {
      const random = generator(0x5eed + (options.nocase ? 1 : 0));
      let compared = 0;
      let matched = 0;
      let deep = 0;
      for (let list = 0; list < 40; list += 1) {
        const patterns = Array.from({ length: 16 + random.next(48) }, () => pathPattern(random));
        const matcher = compilePathPatterns(patterns, options);
        for (let target = 0; target < 60; target += 1) {
          const path = target % 10 === 0 ? (random.pick(patterns) as string) : pathTarget(random);
          const expected = referencePathIndex(patterns, options, path);
          expect({ path, index: matcher.match(path) }).toEqual({ path, index: expected });
          compared += 1;
          if (expected >= 0) matched += 1;
          if (expected >= 8) deep += 1;
        }
      }
      expect(compared).toBe(2400);
      expect(deep).toBeGreaterThan(100);
      // Both outcomes are exercised, so agreement is not agreement on "no match" alone.
      expect(matched).toBeGreaterThan(400);
      expect(compared - matched).toBeGreaterThan(400);
    });
  }
});

const COMMAND_WORDS = ['git', 'push', 'rm', '-rf', '/', 'tool-1', 'tool-12', 'npm', 'run', 'x'];

describe('indexed command matcher', () => {
  for (const widen of [false, true]) {
    it(`gives the reference's first index (widen ${widen})`, () => {
      const random = generator(0xc0de + (widen ? 1 : 0));
      const words = (count: number) => Array.from({ length: count }, () => random.pick(COMMAND_WORDS));
      let matched = 0;
      for (let list = 0; list < 40; list += 1) {
        const patterns = Array.from({ length: 16 + random.next(48) }, () => {
          const text = words(1 + random.next(3)).join(' ');
          const star = random.next(4);
          if (star === 0) return text;
          if (star === 1) return `${text} *`;
          if (star === 2) return `*${text}*`;
          return `${text}*${random.pick(COMMAND_WORDS)}`;
        });
        const matcher = compileCommandPatterns(patterns, { widen });
        for (let target = 0; target < 60; target += 1) {
          const command = words(1 + random.next(4)).join(' ');
          const expected = patterns.findIndex(
            (pattern) => compileCommandPatterns([pattern], { widen }).match(command) === 0,
          );
          expect({ command, index: matcher.match(command) }).toEqual({ command, index: expected });
          if (expected >= 0) matched += 1;
        }
      }
      expect(matched).toBeGreaterThan(400);
      expect(2400 - matched).toBeGreaterThan(400);
    });
  }
});
