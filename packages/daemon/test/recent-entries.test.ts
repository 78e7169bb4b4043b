import { describe, expect, it } from 'vitest';
import { RecentEntries, RecentRing } from '../src/recent-entries.js';

describe('RecentEntries', () => {
  it('holds the values of the last max sets, by key; a key set again holds its latest value', () => {
    const recent = new RecentEntries<number>(3);
    recent.set('a', 1);
    recent.set('b', 2);
    recent.set('a', 3);
    // The slot of a's first set comes round: a was set since, so only the slot is taken.
    recent.set('c', 4);
    expect(['a', 'b', 'c'].map((key) => recent.get(key))).toEqual([3, 2, 4]);
    recent.set('d', 5);
    expect(['a', 'b', 'c', 'd'].map((key) => recent.get(key))).toEqual([3, undefined, 4, 5]);
    recent.set('e', 6);
    expect(['a', 'c', 'd', 'e'].map((key) => recent.has(key))).toEqual([false, true, true, true]);
    expect(recent.size).toBe(3);
  });

  for (const Memory of [RecentEntries, RecentRing]) {
    it(`${Memory.name}: holds exactly the values set by the last max calls, over a long sequence with repeats`, () => {
      const recent = new Memory<number>(50);
      const sets: string[] = [];
      // A fixed sequence with many repeats: key i*7919 mod 173 for 5,000 sets.
      for (let i = 0; i < 5_000; i++) {
        const key = `k${(i * 7919) % 173}`;
        recent.set(key, i);
        sets.push(key);
        if (i % 97 === 0 || i < 60) {
          const last = sets.slice(-50);
          for (let j = 0; j < 173; j++) {
            const at = last.lastIndexOf(`k${j}`);
            expect(recent.get(`k${j}`)).toBe(at === -1 ? undefined : i - (last.length - 1 - at));
          }
        }
      }
    });
  }

  it('refuses a bound that is not a whole number of at least 1', () => {
    expect(() => new RecentEntries(0)).toThrow('max must be a whole number ≥ 1: 0');
    expect(() => new RecentRing(1.5)).toThrow('max must be a whole number ≥ 1: 1.5');
  });
});
