import { describe, expect, it } from 'vitest';
import { RecentIds } from '../src/recent-ids.js';

/** What the daemon kept before: a Set that forgets its oldest entry beyond `max`. */
function setOf(max: number) {
  const ids = new Set<string>();
  return {
    add(id: string) {
      ids.add(id);
      if (ids.size > max) ids.delete(ids.values().next().value as string);
    },
    ids,
  };
}

describe('RecentIds', () => {
  it('keeps the last max distinct ids; adding one it holds changes nothing', () => {
    const recent = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'd']) recent.add(id);
    expect(['a', 'b', 'c', 'd'].map((id) => recent.has(id))).toEqual([false, true, true, true]);
    recent.add('b');
    recent.add('e');
    expect(['b', 'c', 'd', 'e'].map((id) => recent.has(id))).toEqual([false, true, true, true]);
    expect(recent.size).toBe(3);
  });

  it('holds exactly what the Set it replaces held, for a sequence with repeats', () => {
    const recent = new RecentIds(50);
    const reference = setOf(50);
    // A fixed sequence with many repeats: id i*7919 mod 173 for 5,000 adds.
    for (let i = 0; i < 5_000; i++) {
      const id = `d${(i * 7919) % 173}`;
      recent.add(id);
      reference.add(id);
      if (i % 97 === 0) {
        expect(recent.size).toBe(reference.ids.size);
        for (let j = 0; j < 173; j++) expect(recent.has(`d${j}`)).toBe(reference.ids.has(`d${j}`));
      }
    }
  });

  it('refuses a bound that is not a whole number of at least 1', () => {
    expect(() => new RecentIds(0)).toThrow('max must be a whole number ≥ 1: 0');
  });
});
