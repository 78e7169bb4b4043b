// The bounded memories of the per-decision path (the asked decision ids, 10,000; a connection's answered evaluate
// frames, 256), old against new, interleaved rounds: a Set or Map that forgets its oldest entry through
// `keys().next()` (what the daemon did before: V8's iterator walks every entry deleted since the table was last
// rebuilt) against RecentEntries and RecentRing. CPU time (user + sys) per set of a new key, the load printed.
//   npx tsx bench/recent-entries.ts [sets per round]   (default 200000; 7 rounds)
import { loadavg } from 'node:os';
import { RecentEntries, RecentRing } from '../src/recent-entries.js';

const perRound = Number(process.argv[2] ?? 200_000);
interface Memory {
  set(key: string, value: true): void;
}
/** The daemon's memories before: insertion order read back from the Map to forget the oldest. */
function oldestOut(max: number): Memory {
  const entries = new Map<string, true>();
  return {
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
  };
}
const kinds = {
  'Map, oldest out': oldestOut,
  RecentEntries: (max: number) => new RecentEntries<true>(max),
  RecentRing: (max: number) => new RecentRing<true>(max),
};
let next = 0;
const round = (memory: Memory) => {
  const start = process.cpuUsage();
  for (let i = 0; i < perRound; i++) memory.set(`d${next++}`, true);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / perRound;
};
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
console.log(
  `load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}; ${perRound} sets of new keys x 7 rounds, after one to fill`,
);
for (const max of [256, 10_000]) {
  const memories = Object.entries(kinds).map(([name, make]) => ({
    name,
    memory: make(max),
    rounds: [] as number[],
  }));
  for (const { memory } of memories) round(memory); // full, and optimized
  for (let i = 0; i < 7; i++) for (const entry of memories) entry.rounds.push(round(entry.memory));
  for (const { name, rounds } of memories) {
    console.log(
      `max ${String(max).padStart(6)}  ${name.padEnd(16)} ${(median(rounds) * 1000).toFixed(0).padStart(6)} ns per set (rounds ${rounds.map((r) => (r * 1000).toFixed(0)).join(', ')})`,
    );
  }
}
