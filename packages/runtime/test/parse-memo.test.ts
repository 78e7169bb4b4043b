import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createReadingMemo, readCommand, replaceReadingMemo } from '../src/command-reading.js';
import {
  loadBaselinePack,
  loadDeveloperPack,
  loadShellParser,
  type ParsedCommand,
  parseCommand,
} from '../src/index.js';
import { ParseMemo } from '../src/parse-memo.js';
import { replaceParseMemo } from '../src/shell-parser.js';
import { exactEngine, request } from './support/engine.js';

beforeAll(() => loadShellParser());
// Each test installs its own memo; the process's own is put back after it.
const original = replaceParseMemo(undefined);
replaceParseMemo(original);
afterEach(() => {
  replaceParseMemo(original);
});

/** parseCommand with no memo at all: what the memo must give back for the same text. */
function unmemoized(text: string): ParsedCommand {
  const previous = replaceParseMemo(undefined);
  try {
    return parseCommand(text);
  } finally {
    replaceParseMemo(previous);
  }
}

describe('the memo of parses', () => {
  // Each pair differs by one code unit, by Unicode normalisation (NFC é against NFD e + U+0301), or by trailing
  // whitespace; each text must be read as itself, whichever of the pair was parsed first.
  const PAIRS: readonly (readonly [string, string])[] = [
    ['cat a && cat .env', 'cat a && cat .enw'],
    ['rm -rf "$HOME"/x', 'rm -rf "$HOME"/y'],
    ['echo "caf\u00e9" > out', 'echo "cafe\u0301" > out'],
    ['git status && ls', 'git status && ls '],
    ['git status && ls', 'git status && ls\n'],
    ['git status && ls\\\n', 'git status && ls\\'],
    ['echo $(cat .env)', 'echo $(cat .env) '],
  ];

  it.each(PAIRS)('reads %j and %j each as itself', (first, second) => {
    for (const order of [
      [first, second],
      [second, first],
    ]) {
      const memo = new ParseMemo<ParsedCommand>(16);
      replaceParseMemo(memo);
      for (const text of [...order, ...order]) expect(parseCommand(text)).toEqual(unmemoized(text));
      expect(memo.stats()).toEqual({ hits: 2, misses: 2, entries: 2 });
    }
  });

  it('tells the pairs apart: the differences matter to the parse', () => {
    expect(unmemoized('cat a && cat .env').commands[1]?.words).toEqual(['cat', '.env']);
    expect(unmemoized('cat a && cat .enw').commands[1]?.words).toEqual(['cat', '.enw']);
    expect(unmemoized('echo "caf\u00e9" > out').commands[0]?.words).toEqual(['echo', 'caf\u00e9']);
    expect(unmemoized('echo "cafe\u0301" > out').commands[0]?.words).toEqual(['echo', 'cafe\u0301']);
  });

  it('gives the same frozen result for the same text, down to every word list', () => {
    const memo = new ParseMemo<ParsedCommand>(16);
    replaceParseMemo(memo);
    const text = 'FOO=1 npm test < in > out && (cd src; ls)';
    const parsed = parseCommand(text);
    expect(parseCommand(text)).toBe(parsed);
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed.commands)).toBe(true);
    for (const simple of parsed.commands) {
      for (const part of [simple, simple.words, simple.reads, simple.writes])
        expect(Object.isFrozen(part)).toBe(true);
    }
    const words = parsed.commands[0]?.words as string[];
    expect(words).toEqual(['FOO=1', 'npm', 'test']);
    expect(() => {
      words.push('--force');
    }).toThrow(TypeError);
    expect(() => {
      (parsed as { unreadable: boolean }).unreadable = true;
    }).toThrow(TypeError);
    expect(parseCommand(text)).toEqual(unmemoized(text));
  });

  it('keeps at most its size, dropping the least recently used first', () => {
    const memo = new ParseMemo<ParsedCommand>(2);
    replaceParseMemo(memo);
    parseCommand('a && b');
    parseCommand('c && d');
    parseCommand('a && b'); // now the most recently used
    parseCommand('e && f'); // drops `c && d`
    expect(memo.stats()).toEqual({ hits: 1, misses: 3, entries: 2 });
    parseCommand('a && b');
    expect(memo.stats()).toEqual({ hits: 2, misses: 3, entries: 2 });
    parseCommand('c && d');
    expect(memo.stats()).toEqual({ hits: 2, misses: 4, entries: 2 });
  });

  it('keeps nothing at size 0 and still freezes', () => {
    const memo = new ParseMemo<ParsedCommand>(0);
    replaceParseMemo(memo);
    const parsed = parseCommand('a && b');
    expect(Object.isFrozen(parsed.commands)).toBe(true);
    parseCommand('a && b');
    expect(memo.stats()).toEqual({ hits: 0, misses: 2, entries: 0 });
  });

  it('keeps neither plain words nor text too long to parse', () => {
    const memo = new ParseMemo<ParsedCommand>(16);
    replaceParseMemo(memo);
    parseCommand('npm test');
    parseCommand(`echo ${'a;'.repeat(1100)}`);
    expect(memo.stats()).toEqual({ hits: 0, misses: 0, entries: 0 });
  });

  it('refuses a size that is not a whole number of entries', () => {
    expect(() => new ParseMemo(-1)).toThrow(new RangeError('memo size must be a whole number ≥ 0: -1'));
    expect(() => new ParseMemo(1.5)).toThrow(new RangeError('memo size must be a whole number ≥ 0: 1.5'));
  });
});

// Every request of every corpus (each evasion step, each benign command, each developer allow pattern sent as a
// command), as the corpora tests send them.
const CORPORA = new URL('corpora/', import.meta.url);
function corpusRequests(): (readonly [string, string])[] {
  const requests: (readonly [string, string])[] = [];
  for (const name of readdirSync(CORPORA).sort()) {
    const entries: unknown[] = JSON.parse(readFileSync(new URL(name, CORPORA), 'utf8'));
    for (const entry of entries) {
      if (typeof entry === 'string') requests.push(['execute_command', entry]);
      else if ('steps' in (entry as object)) requests.push(...(entry as { steps: [string, string][] }).steps);
      else requests.push(['execute_command', (entry as { command: string }).command]);
    }
  }
  return requests;
}

describe.each(['cavra-ai-agent-baseline', 'cavra-developer'] as const)('every corpus under %s', (pack) => {
  it('decides every request the same without the memos, with them cold, and with them warm', async () => {
    const compiled = pack === 'cavra-developer' ? await loadDeveloperPack() : await loadBaselinePack();
    const requests = corpusRequests();
    expect(requests.length).toBeGreaterThan(900);
    const decideAll = () => {
      const engine = exactEngine([compiled]);
      return requests.map(([actionType, target]) =>
        engine.evaluate(request(actionType, target, { policy_pack: pack })),
      );
    };
    const readings = replaceReadingMemo(undefined);
    try {
      replaceParseMemo(undefined);
      const without = decideAll();
      const memo = new ParseMemo<ParsedCommand>(100_000);
      const readingMemo = createReadingMemo(100_000);
      replaceParseMemo(memo);
      replaceReadingMemo(readingMemo);
      const cold = decideAll();
      const { misses } = memo.stats();
      const readingMisses = readingMemo.stats().misses;
      const warm = decideAll();
      expect(cold).toEqual(without);
      expect(warm).toEqual(without);
      // The warm pass found every reading in its memo but those too large to keep (each text read again once), and
      // every parse.
      const notKept = readingMisses - readingMemo.stats().entries;
      expect(notKept).toBeLessThan(5);
      expect(readingMemo.stats().misses).toBe(readingMisses + notKept);
      expect(memo.stats().misses).toBe(misses);
      // Readings are kept unfrozen: deciding every request twice changed none of them.
      const commands = [
        ...new Set(requests.filter(([type]) => type === 'execute_command').map(([, text]) => text)),
      ];
      const kept = commands.map((text) => readCommand(text));
      replaceReadingMemo(undefined);
      expect(kept).toEqual(commands.map((text) => readCommand(text)));
    } finally {
      replaceReadingMemo(readings);
    }
  });
});
