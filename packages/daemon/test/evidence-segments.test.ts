import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentPath } from '../src/evidence-segments.js';
import { SpoolReader } from '../src/evidence-spool-reader.js';
import { EvidenceLog, verifyEvidenceLog } from '../src/index.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli } from './support/daemon-process.js';

afterAll(removeTempDirs);

const entry = (n: number) => ({
  recorded_at: '2026-11-25T10:00:00.000Z',
  decision: { decision_id: `d-${String(n).padStart(4, '0')}`, decision: 'allow' },
  runner: null,
  release_governance: null,
});

/** Every record line up to seq 9 is this long (fixed-width ids), so segment boundaries are exact. */
const LINE_BYTES = 357;

async function segmentedLog(records: number, options: { maxBytes?: number; limitBytes?: number } = {}) {
  const path = join(tempDir(), 'evidence.jsonl');
  const log = await EvidenceLog.open(path, {
    segments: { maxBytes: options.maxBytes ?? 3 * LINE_BYTES, ...options },
  });
  for (let n = 1; n <= records; n++) await log.append(entry(n));
  return { path, log };
}

/** The log's lines, closed segments first, as one text. */
async function allText(path: string): Promise<string> {
  const folder = dirname(path);
  const names = (await readdir(folder)).filter((name) => name.startsWith('evidence.jsonl.seg-')).sort();
  const texts = await Promise.all(
    [...names.map((name) => join(folder, name)), path].map((p) => readFile(p, 'utf8')),
  );
  return texts.join('');
}

describe('a segmented evidence log (fleet mode)', () => {
  it('closes a segment once it holds maxBytes and goes on with the chain in a new file at the path', async () => {
    const { path, log } = await segmentedLog(7);
    expect((await readFile(path, 'utf8')).split('\n')[0]?.length).toBe(LINE_BYTES - 1);
    expect(log.layout()).toEqual({
      closed: [
        { path: segmentPath(path, 1), first: 1, bytes: 3 * LINE_BYTES },
        { path: segmentPath(path, 4), first: 4, bytes: 3 * LINE_BYTES },
      ],
      active: { path, first: 7, bytes: LINE_BYTES },
      last: 7,
    });
    expect(log.spoolBytes).toBe(7 * LINE_BYTES);
    await log.close();
    const checkpoint = JSON.parse(await readFile(`${path}.checkpoint`, 'utf8'));
    expect(checkpoint).toMatchObject({ seq: 7, bytes: LINE_BYTES, segment: 7 });
    const verified = await verifyEvidenceLog(path);
    expect([verified.ok, verified.records, verified.problems]).toEqual([true, 7, []]);
    const reopened = await EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } });
    expect([reopened.records, (await reopened.append(entry(8))).seq]).toEqual([7, 8]);
    expect(reopened.layout().active).toEqual({ path, first: 7, bytes: 2 * LINE_BYTES });
    await reopened.close();
    expect((await verifyEvidenceLog(path)).records).toBe(8);
  });

  it('reopens from a checkpoint that names a closed segment, and after a crash left no active file', async () => {
    const { path, log } = await segmentedLog(6);
    await log.close();
    // The last append closed the segment [4..6]: the checkpoint written then names it.
    expect(JSON.parse(await readFile(`${path}.checkpoint`, 'utf8'))).toMatchObject({ seq: 6, segment: 4 });
    expect(await readFile(path, 'utf8')).toBe('');
    await rm(path); // as a crash between closing the segment and creating the next file leaves it
    const reopened = await EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } });
    expect(reopened.records).toBe(6);
    expect((await reopened.append(entry(7))).seq).toBe(7);
    await reopened.close();
    expect((await verifyEvidenceLog(path)).ok).toBe(true);
  });

  it('refuses to extend a log whose closed segment was edited, and verify names the record', async () => {
    const { path, log } = await segmentedLog(7);
    await log.close();
    const second = segmentPath(path, 4);
    await writeFile(second, (await readFile(second, 'utf8')).replace('d-0005', 'd-9995'));
    await rm(`${path}.checkpoint`);
    await expect(EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } })).rejects.toThrow(
      `evidence log ${path} does not verify (record 5: record content does not match its hash (edited)); refusing to extend it`,
    );
    const verified = await verifyEvidenceLog(path);
    expect([verified.ok, verified.problems.map((p) => [p.line, p.problem])]).toEqual([
      false,
      [[5, 'hash_mismatch']],
    ]);
  });

  it('refuses a start when a closed segment after the checkpoint was deleted (records lost)', async () => {
    const { path, log } = await segmentedLog(10);
    await log.close();
    await rm(segmentPath(path, 4));
    await rm(`${path}.checkpoint`);
    const verified = await verifyEvidenceLog(path);
    expect(verified.problems.map((p) => [p.line, p.problem])).toEqual([
      [4, 'broken_chain'],
      [4, 'sequence_gap'],
    ]);
    await expect(EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } })).rejects.toThrow(
      `evidence log ${path} does not verify (record 4: prev is not the hash of the record before it (removed or reordered)); refusing to extend it`,
    );
  });

  it('refuses appends past limitBytes without writing any part of them', async () => {
    const { path, log } = await segmentedLog(4, { limitBytes: 5 * LINE_BYTES });
    await log.append(entry(5));
    await expect(log.append(entry(6))).rejects.toThrow(
      `evidence spool ${path} is full: ${5 * LINE_BYTES} bytes of ${5 * LINE_BYTES} (spool_max_bytes and its headroom)`,
    );
    expect([log.records, log.spoolBytes]).toEqual([5, 5 * LINE_BYTES]);
    await log.close();
    expect((await verifyEvidenceLog(path)).records).toBe(5);
  });

  it('prunes closed segments up to a seq only, writing the mark the chain then starts from', async () => {
    const { path, log } = await segmentedLog(10);
    const epoch = await log.epoch();
    expect(epoch).toBe(JSON.parse((await allText(path)).split('\n')[0] as string).hash.slice(0, 16));
    // Record 5 is in the segment [4..6]: only [1..3] is covered entirely.
    expect((await log.pruneThrough(5)).map((s) => s.first)).toEqual([1]);
    const mark = JSON.parse(await readFile(`${path}.pruned`, 'utf8'));
    const third = JSON.parse((await allText(path)).split('\n')[0] as string);
    expect(mark).toEqual({ seq: 3, hash: third.prev, epoch });
    expect((await log.pruneThrough(9)).map((s) => s.first)).toEqual([4, 7]);
    const tenth = (await readFile(path)).length;
    expect([await log.epoch(), log.spoolBytes, log.layout().closed]).toEqual([epoch, tenth, []]);
    await log.close();
    const verified = await verifyEvidenceLog(path);
    expect([verified.ok, verified.records]).toEqual([true, 10]);
    // A receipt's anchor at or before the mark was pruned under it: only the mark itself can be compared.
    const anchored = async (anchor: { seq: number; hash: string; epoch?: string }) =>
      (await verifyEvidenceLog(path, { anchor })).problems.map((p) => [p.line, p.problem]);
    expect(await anchored({ seq: 2, hash: 'a'.repeat(64), epoch: epoch as string })).toEqual([]);
    expect(await anchored({ seq: 9, hash: mark.hash, epoch: epoch as string })).toEqual([
      [0, 'anchor_mismatch'],
    ]);
    expect(await anchored({ seq: 2, hash: 'a'.repeat(64), epoch: 'f'.repeat(16) })).toEqual([
      [0, 'anchor_mismatch'],
    ]);
    expect(await anchored({ seq: 12, hash: 'a'.repeat(64) })).toEqual([[2, 'anchor_missing']]);
    const reopened = await EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } });
    expect([reopened.records, await reopened.epoch(), (await reopened.append(entry(11))).seq]).toEqual([
      10,
      epoch,
      11,
    ]);
    await reopened.close();
  });
});

describe('a pruned segmented log', () => {
  it('starts again when its checkpoint names a segment pruned since', async () => {
    const { path, log } = await segmentedLog(6);
    await log.close(); // the checkpoint names the segment [4..6], and the active file is empty
    const pruning = await EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } });
    expect((await pruning.pruneThrough(6)).map((s) => s.first)).toEqual([1, 4]);
    expect(JSON.parse(await readFile(`${path}.checkpoint`, 'utf8'))).toMatchObject({ seq: 6, segment: 4 });
    await pruning.close(); // writes no checkpoint: the active file is empty, so it still names the pruned segment
    expect(JSON.parse(await readFile(`${path}.checkpoint`, 'utf8'))).toMatchObject({ seq: 6, segment: 4 });
    const reopened = await EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } });
    expect([reopened.records, (await reopened.append(entry(7))).seq]).toEqual([6, 7]);
    await reopened.close();
    expect((await verifyEvidenceLog(path)).records).toBe(7);
  });
});

describe('evidence export of a segmented log', () => {
  it('exports the closed segments, then the file; refuses a pruned log', async () => {
    const { path, log } = await segmentedLog(7);
    await log.close();
    const exported = await cli(['evidence', 'export', path, '--format', 'upstream']);
    const lines = exported.stdout.trim().split('\n');
    expect([exported.code, lines.length]).toEqual([0, 7]);
    const pruning = await EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } });
    await pruning.pruneThrough(3);
    await pruning.close();
    expect(await cli(['evidence', 'export', path, '--format', 'upstream'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${path}: not exported: its first records were pruned (${path}.pruned)\n`,
    });
  });
});

describe("the shipper's reader over a segmented log", () => {
  it('reads the raw lines in order across segments, in batches bounded by records and bytes', async () => {
    const { path, log } = await segmentedLog(8);
    const text = await allText(path);
    const reader = new SpoolReader(() => log.layout());
    const all = await reader.readAfter(0, 1 << 20, 1000);
    expect(all && Buffer.concat(all.lines).toString('utf8')).toBe(text);
    expect([all?.first, all?.last, all?.lastHash]).toEqual([1, 8, log.lastHash]);
    const batches: [number, number][] = [];
    for (let seq = 0, batch = await reader.readAfter(0, 2 * LINE_BYTES, 1000); batch; ) {
      batches.push([batch.first, batch.last]);
      seq = batch.last;
      batch = await reader.readAfter(seq, 2 * LINE_BYTES, 1000);
    }
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    expect((await reader.readAfter(2, 1 << 20, 3))?.last).toBe(5);
    expect((await reader.readAfter(7, 10, 1000))?.lines.length).toBe(1); // one record longer than maxBytes
    expect(await reader.readAfter(8, 1 << 20, 1000)).toBeUndefined();
    await log.append(entry(9)); // closes the segment [7..9] under the reader
    const next = await reader.readAfter(8, 1 << 20, 1000);
    expect([next?.first, next?.last]).toEqual([9, 9]);
    await log.pruneThrough(6);
    await expect(reader.readAfter(2, 1 << 20, 1000)).rejects.toThrow(
      'evidence record 3 was pruned from the spool',
    );
    await log.close();
  });

  it('ends a batch at the first record that does not fit, even when a shorter one after it would', async () => {
    // A shipper that asks again after a failed publish reads from the segment's start; a batch full by bytes must
    // not take a later, shorter record (it would skip one, and the reader refused such a batch every time it was
    // asked: that shipper never shipped again).
    const path = join(tempDir(), 'evidence.jsonl');
    const log = await EvidenceLog.open(path, { segments: { maxBytes: 1 << 20 } });
    const lengths = [0, 0, 2_000, 0, 0];
    for (const [index, extra] of lengths.entries()) {
      const record = entry(index + 1);
      await log.append({ ...record, decision: { ...record.decision, reason: 'x'.repeat(extra) } });
    }
    const reader = new SpoolReader(() => log.layout());
    const batch = await reader.readAfter(1, 2 * LINE_BYTES + 100, 1000);
    expect([batch?.first, batch?.last, batch?.lines.length]).toEqual([2, 2, 1]);
    const rest = await new SpoolReader(() => log.layout()).readAfter(2, 1 << 20, 1000);
    expect([rest?.first, rest?.last]).toEqual([3, 5]);
    await log.close();
  });
});
