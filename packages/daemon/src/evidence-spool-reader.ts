import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { SpoolLayout } from './evidence-log.js';
import type { ClosedSegment } from './evidence-segments.js';
import { readLines } from './log-lines.js';
import { openOwnFile } from './own-file.js';

/** Raw record lines read from the log for the shipper: each as written, its `\n` included. */
export interface SpoolBatch {
  readonly lines: Uint8Array[];
  readonly first: number;
  readonly last: number;
  readonly lastHash: string;
}

/**
 * Reads acknowledged records of a (segmented) log in order, across its segments, for the shipper (the `source` of
 * the daemon ↔ shipper seam). It remembers where the last read ended, so reading on from there does not scan the
 * segment again. The layout is taken at each read: a segment closed or pruned meanwhile is found by its first seq.
 */
export class SpoolReader {
  readonly #layout: () => SpoolLayout;
  /** Where the record after the last one read starts: its file (by first seq), seq and byte offset. */
  #next: { first: number; seq: number; offset: number } | undefined;

  constructor(layout: () => SpoolLayout) {
    this.#layout = layout;
  }

  /**
   * The records after `seq`, at most `maxRecords` and (but for a single record longer than that) `maxBytes`; undefined
   * when there is none yet. Rejects when the record after `seq` was pruned or a file does not hold the records its
   * name says.
   */
  async readAfter(seq: number, maxBytes: number, maxRecords: number): Promise<SpoolBatch | undefined> {
    // The active segment may be closed between taking the layout and reading it: read again from a new layout.
    try {
      return await this.#read(seq, maxBytes, maxRecords);
    } catch (error) {
      if (!(error instanceof MovedError)) throw error;
      this.#next = undefined;
      return this.#read(seq, maxBytes, maxRecords);
    }
  }

  async #read(seq: number, maxBytes: number, maxRecords: number): Promise<SpoolBatch | undefined> {
    const { closed, active, last } = this.#layout();
    if (seq >= last) return undefined;
    const files = [...closed, active];
    const want = seq + 1;
    let index = files.findLastIndex((file) => file.first <= want);
    if (index === -1) throw new Error(`evidence record ${want} was pruned from the spool`);
    const lines: Uint8Array[] = [];
    let bytes = 0;
    let expected = want;
    let lastHash = '';
    let full = false;
    while (index < files.length && lines.length < maxRecords && expected <= last) {
      const file = files[index] as ClosedSegment;
      const resume = this.#next?.first === file.first && this.#next.seq === expected ? this.#next.offset : 0;
      let skip = resume === 0 ? expected - file.first : 0;
      let offset = resume;
      const take = (line: string, at: number) => {
        if (skip > 0) {
          skip -= 1;
          return;
        }
        if (full) return; // the batch ends at the first record that did not fit: none after it may follow
        const raw = Buffer.from(`${line}\n`, 'utf8');
        if (lines.length >= maxRecords || (lines.length > 0 && bytes + raw.length > maxBytes)) {
          full = true;
          return;
        }
        const record = JSON.parse(line) as { seq?: unknown; hash?: unknown };
        if (record.seq !== expected)
          throw new MovedError(
            `${file.path} holds record ${String(record.seq)} where ${expected} was expected`,
          );
        lines.push(raw);
        bytes += raw.length;
        lastHash = String(record.hash);
        expected += 1;
        offset = at + raw.length;
      };
      await withFile(file, async (handle) => {
        // Only what the batch can hold is read, unless records must be skipped to find the first one, or the next
        // record alone is longer than the batch's room.
        const room = Math.max(maxBytes - bytes, 0);
        const end = skip > 0 ? file.bytes : Math.min(file.bytes, resume + room);
        const read = await readLines(handle, resume, end, take);
        if (lines.length === 0 && read.end < file.bytes) await readLines(handle, read.end, file.bytes, take);
      });
      this.#next = { first: file.first, seq: expected, offset };
      if (full || offset < file.bytes) break; // the batch is full
      index += 1;
    }
    if (lines.length === 0) return undefined;
    return { lines, first: want, last: expected - 1, lastHash };
  }
}

/** The file changed under the reader (closed, or replaced): the layout it read from is out of date. */
class MovedError extends Error {
  constructor(detail: string) {
    // Said in the shipper's health when it persists (read again from a new layout, it should not).
    super(`the evidence log changed under its reader: ${detail}`);
  }
}

async function withFile(file: ClosedSegment, use: (handle: FileHandle) => Promise<void>): Promise<void> {
  const handle = await openOwnFile(file.path, constants.O_RDONLY, 'evidence segment', {
    private: true,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new MovedError(`${file.path} is gone`);
    throw error;
  });
  try {
    // Shorter than the layout said: the active file was closed and a new one took its path.
    if ((await handle.stat()).size < file.bytes)
      throw new MovedError(`${file.path} is shorter than the ${file.bytes} B its layout said`);
    await use(handle);
  } finally {
    await handle.close();
  }
}

/**
 * The shipper's `source` over the daemon's log (the EvidenceSource of @cavra/fleet's shipper), segmented or not:
 * only acknowledged records, read across segments.
 */
export function spoolSource(log: {
  readonly records: number;
  layout(): SpoolLayout;
  epoch(): Promise<string | undefined>;
  onAppend(listener: () => void): () => void;
}) {
  const reader = new SpoolReader(() => log.layout());
  return {
    epoch: () => log.epoch(),
    lastSeq: () => log.records,
    readAfter: (seq: number, maxBytes: number, maxRecords: number) =>
      reader.readAfter(seq, maxBytes, maxRecords),
    onAppend: (listener: () => void) => log.onAppend(listener),
  };
}
