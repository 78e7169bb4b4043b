import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { type EvidenceBatch, type EvidenceSource, evidenceEpoch } from '@cavra/fleet';
import type { EvidenceLog } from './evidence-log.js';
import { MAX_LINE_BYTES, readLines } from './log-lines.js';

const NEWLINE = 0x0a;

/**
 * The fleet shipper's view of the evidence log: the raw bytes of its acknowledged records by seq (the centre hashes
 * the bytes that were written). It remembers where the last batch ended, so shipping in order reads each byte once;
 * any other start (a reconcile, a re-send request) is found by counting lines from the top.
 */
export class LogShipSource implements EvidenceSource {
  readonly #log: EvidenceLog;
  #file: FileHandle | undefined;
  #epoch: string | undefined;
  /** Where the record after `seq` starts. */
  #next = { seq: 0, offset: 0 };

  constructor(log: EvidenceLog) {
    this.#log = log;
  }

  async epoch(): Promise<string | undefined> {
    if (this.#epoch === undefined && this.#log.records > 0) {
      const first = await this.#readFrom(0, 0, 64 * 1024, 1);
      this.#epoch = evidenceEpoch(first.lastHash);
    }
    return this.#epoch;
  }

  lastSeq(): number {
    return this.#log.records;
  }

  async readAfter(seq: number, maxBytes: number, maxRecords: number): Promise<EvidenceBatch | undefined> {
    if (seq >= this.#log.records) return undefined;
    const offset = this.#next.seq === seq ? this.#next.offset : await this.#offsetAfter(seq);
    const batch = await this.#readFrom(seq, offset, maxBytes, maxRecords);
    this.#next = { seq: batch.last, offset: batch.end };
    return batch;
  }

  onAppend(listener: () => void): () => void {
    return this.#log.onAppend(listener);
  }

  async close(): Promise<void> {
    await this.#file?.close();
    this.#file = undefined;
  }

  async #handle(): Promise<FileHandle> {
    this.#file ??= await open(this.#log.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    return this.#file;
  }

  /** Where the record after `seq` starts, counting lines from the top of the log. */
  async #offsetAfter(seq: number): Promise<number> {
    let count = 0;
    let found: number | undefined;
    await readLines(await this.#handle(), 0, this.#log.bytes, (_line, offset) => {
      if (count === seq) found = offset;
      count++;
    });
    if (found === undefined)
      throw new Error(`the evidence log ${this.#log.path} holds no record after ${seq}`);
    return found;
  }

  /**
   * Reads whole lines from `offset`: at most `maxBytes` (but always one line) and `maxRecords`, never past the
   * acknowledged end. Checks that the first is record `seq + 1`, so a wrong offset can never ship other records.
   */
  async #readFrom(
    seq: number,
    offset: number,
    maxBytes: number,
    maxRecords: number,
  ): Promise<EvidenceBatch & { readonly end: number }> {
    const file = await this.#handle();
    const limit = this.#log.bytes;
    let size = Math.min(maxBytes, limit - offset);
    let buffer: Buffer;
    let lastNewline: number;
    for (;;) {
      buffer = Buffer.alloc(size);
      const { bytesRead } = await file.read(buffer, 0, size, offset);
      buffer = buffer.subarray(0, bytesRead);
      lastNewline = buffer.lastIndexOf(NEWLINE);
      if (lastNewline >= 0) break;
      // One record longer than maxBytes: it is still shipped, alone.
      if (offset + size >= limit || size >= MAX_LINE_BYTES)
        throw new Error(`the evidence log ${this.#log.path} has no complete line at byte ${offset}`);
      size = Math.min(size * 2, limit - offset, MAX_LINE_BYTES);
    }
    const lines: Buffer[] = [];
    let start = 0;
    while (start <= lastNewline && lines.length < maxRecords) {
      const end = buffer.indexOf(NEWLINE, start) + 1;
      lines.push(buffer.subarray(start, end));
      start = end;
    }
    const first = JSON.parse((lines[0] as Buffer).toString('utf8')) as { seq?: unknown };
    if (first.seq !== seq + 1)
      throw new Error(
        `the evidence log ${this.#log.path} holds record ${String(first.seq)} at byte ${offset}, not ${seq + 1}`,
      );
    const last = JSON.parse((lines.at(-1) as Buffer).toString('utf8')) as { hash: string };
    return { lines, first: seq + 1, last: seq + lines.length, lastHash: last.hash, end: offset + start };
  }
}
