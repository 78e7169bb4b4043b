import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReplayJournal } from '../src/replay-journal.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';

afterAll(removeTempDirs);

const NOW = Date.parse('2026-11-25T10:00:00.000Z');
const line = (key: string, until: number) => `${JSON.stringify({ key, until })}\n`;

describe('the replay journal', () => {
  it('restores the live entries, drops the expired ones and a torn last line, and keeps new ones durably', async () => {
    const log = join(tempDir(), 'evidence.jsonl');
    await writeFile(
      `${log}.replay`,
      `${line('old', NOW - 1)}${line('live', NOW + 1000)}${line('live', NOW + 500)}{"key":"torn`,
      { mode: 0o600 },
    );
    const restored: [string, number][] = [];
    const journal = await ReplayJournal.open(log, {
      now: () => NOW,
      restore: (key, until) => restored.push([key, until]),
    });
    expect(restored).toEqual([['live', NOW + 1000]]);
    // Compacted at start: only what is live, the torn line gone.
    expect(await readFile(`${log}.replay`, 'utf8')).toBe(line('live', NOW + 1000));
    await Promise.all([journal.add('a', NOW + 10), journal.add('b', NOW + 20)]);
    expect(await readFile(`${log}.replay`, 'utf8')).toBe(
      `${line('live', NOW + 1000)}${line('a', NOW + 10)}${line('b', NOW + 20)}`,
    );
    await journal.close();
    expect((await stat(`${log}.replay`)).mode & 0o777).toBe(0o600);
    const again: string[] = [];
    const later = await ReplayJournal.open(log, { now: () => NOW + 15, restore: (key) => again.push(key) });
    await later.close();
    expect(again).toEqual(['live', 'b']);
  });

  it('refuses to start on a line that is not an entry, naming the file and the line', async () => {
    const log = join(tempDir(), 'evidence.jsonl');
    await writeFile(`${log}.replay`, `${line('a', NOW + 10)}not an entry\n`, { mode: 0o600 });
    await expect(ReplayJournal.open(log, { now: () => NOW, restore: () => {} })).rejects.toThrow(
      `replay state ${log}.replay: line 2 is not a replay entry; refusing to start without the signatures it holds (restore it, or move it aside once every HMAC signature it may hold has expired)`,
    );
  });
});
