import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CommandReading,
  createReadingMemo,
  readCommand,
  replaceReadingMemo,
} from '../src/command-reading.js';
import { loadShellParser } from '../src/index.js';

beforeAll(() => loadShellParser());
// Each test installs its own memo; the process's own is put back after it.
const original = replaceReadingMemo(undefined);
replaceReadingMemo(original);
afterEach(() => {
  replaceReadingMemo(original);
});

/** readCommand with no memo: what the memo must give back for the same text. */
function unmemoized(text: string): CommandReading {
  const previous = replaceReadingMemo(undefined);
  try {
    return readCommand(text);
  } finally {
    replaceReadingMemo(previous);
  }
}

describe("the memo of commands' readings", () => {
  // Each pair differs by one code unit, by Unicode normalisation, by trailing whitespace or a line continuation:
  // each text must be read as itself, whichever of the pair was read first. Plain words too (the reading, unlike
  // the parse, is kept for them).
  const PAIRS: readonly (readonly [string, string])[] = [
    ['cat a && cat .env', 'cat a && cat .enw'],
    ['cat .env', 'cat .enw'],
    ['npm test', 'npm test '],
    ['echo "caf\u00e9" > out', 'echo "cafe\u0301" > out'],
    ['cat .e\\\nnv', 'cat .e\\nnv'],
    ['type C:\\x\\.env', 'type C:/x/.env'],
    [';', 'ls;'],
  ];

  it.each(PAIRS)('reads %j and %j each as itself', (first, second) => {
    for (const order of [
      [first, second],
      [second, first],
    ]) {
      const memo = createReadingMemo(16);
      replaceReadingMemo(memo);
      for (const text of [...order, ...order]) expect(readCommand(text)).toEqual(unmemoized(text));
      expect(memo.stats()).toEqual({ hits: 2, misses: 2, entries: 2 });
    }
  });

  it('tells the pairs apart: the differences matter to the reading', () => {
    expect(unmemoized('cat .env').judged[0]?.args).toEqual(['.env']);
    expect(unmemoized('cat .enw').judged[0]?.args).toEqual(['.enw']);
    expect(unmemoized('cat .e\\\nnv').judged[0]?.args).toEqual(['.env']);
    expect(unmemoized('type C:\\x\\.env').judged.map((part) => [part.args, part.allowable])).toEqual([
      [['C:x.env'], true],
      [['C:/x/.env'], false],
    ]);
    expect([unmemoized(';').runsNothing, unmemoized('ls;').runsNothing]).toEqual([true, false]);
  });

  it('gives the same reading for the same text, as the engine keeps it: not frozen (see command-reading.ts)', () => {
    const memo = createReadingMemo(16);
    replaceReadingMemo(memo);
    const text = 'cd src && FOO=1 npm test';
    const reading = readCommand(text);
    expect(readCommand(text)).toBe(reading);
    expect(reading.judged.map((part) => [part.part, part.directories])).toEqual([
      ['cd src', ['.']],
      ['FOO=1 npm test', ['.', 'src']],
    ]);
    expect(Object.isFrozen(reading.judged)).toBe(false);
    expect(readCommand(text)).toEqual(unmemoized(text));
  });

  it('keeps neither text over 2,048 characters nor a reading over 16,384 characters', () => {
    const memo = createReadingMemo(16);
    replaceReadingMemo(memo);
    const long = `echo ${'a'.repeat(2_044)}`;
    expect(readCommand(long)).toEqual(unmemoized(long));
    expect(memo.stats()).toEqual({ hits: 0, misses: 0, entries: 0 });
    // 58 commands, each read in its spellings (with and without each wrapper): 1,972 characters read into 20,068.
    const many = 'sudo env nice timeout 5 cat ./a/b;'.repeat(58);
    const reading = readCommand(many);
    expect(reading.judged).toHaveLength(58);
    readCommand(many);
    expect(memo.stats()).toEqual({ hits: 0, misses: 2, entries: 0 });
  });
});
