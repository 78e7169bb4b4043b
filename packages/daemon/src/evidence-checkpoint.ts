import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { replaceFile } from './durable-write.js';
import type { EvidenceKey } from './evidence-signature.js';
import { openOwnFile } from './own-file.js';
import { type ChainPosition, verifyLines } from './verify-evidence-log.js';

/**
 * `<log>.checkpoint`: how far the log was verified or written by the daemon (its byte length then, and the seq and
 * hash of the record that ends there). A daemon that finds a checkpoint which still matches the log verifies only
 * what comes after it, so start-up does not grow with the log; `evidence verify` still reads everything. A missing or
 * unreadable checkpoint only costs a full verification; one naming a record the log no longer holds (the log was cut,
 * deleted or replaced) refuses the start (EvidenceLog.open).
 */
export interface EvidenceCheckpoint extends ChainPosition {
  readonly bytes: number;
  /**
   * Where the oldest record before `bytes` starts that was still live when the checkpoint was written (see
   * EvidenceLogOptions.liveUntil): a start visits the records from here on, not the whole log.
   */
  readonly live_from: number;
  /**
   * A segmented log only (fleet mode, see evidence-segments.ts): the first seq of the segment that holds the record,
   * a name that stays true when the active segment is closed. Absent for a log never segmented.
   */
  readonly segment?: number;
}

/** A record line longer than this (a frame is at most 1 MiB) means the checkpoint does not point at a record end. */
const MAX_RECORD_BYTES = 8 * 1024 * 1024;

export function checkpointPath(logPath: string): string {
  return `${logPath}.checkpoint`;
}

/** The checkpoint of `logPath` as written, or undefined when there is none or it cannot be read as one. */
export async function readCheckpoint(logPath: string): Promise<EvidenceCheckpoint | undefined> {
  return parseCheckpoint(await readOwnFile(checkpointPath(logPath)).catch(() => ''));
}

/**
 * `checkpoint` when the record it names ends exactly where it says with that seq and hash and verifies (with `key`,
 * its signature too), and `live_from` is where a record starts; else undefined.
 */
export async function matchingCheckpoint(
  checkpoint: EvidenceCheckpoint | undefined,
  log: FileHandle,
  size: number,
  key: EvidenceKey | undefined,
  logId: string,
): Promise<EvidenceCheckpoint | undefined> {
  if (!checkpoint || checkpoint.bytes > size) return undefined;
  const line = await lineEndingAt(log, checkpoint.bytes);
  if (line === undefined || !(await startsRecord(log, checkpoint.live_from))) return undefined;
  let record: { seq?: unknown; prev?: unknown; hash?: unknown };
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (record.seq !== checkpoint.seq || record.hash !== checkpoint.hash || typeof record.prev !== 'string') {
    return undefined;
  }
  // The record is checked as a full verification would check it, signature included: a signed log opened without
  // its key (or with another) is then verified in full, and refused as such.
  const from = { seq: checkpoint.seq - 1, hash: record.prev };
  return verifyLines([line], { from, logId, ...(key ? { key } : {}) }).ok ? checkpoint : undefined;
}

async function readOwnFile(path: string): Promise<string> {
  const file = await openOwnFile(path, constants.O_RDONLY, 'evidence checkpoint', { private: true });
  try {
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

async function startsRecord(log: FileHandle, offset: number): Promise<boolean> {
  if (offset === 0) return true;
  const before = Buffer.alloc(1);
  const { bytesRead } = await log.read(before, 0, 1, offset - 1);
  return bytesRead === 1 && before[0] === 0x0a;
}

function parseCheckpoint(text: string): EvidenceCheckpoint | undefined {
  try {
    const { bytes, seq, hash, live_from, segment } = JSON.parse(text);
    const valid =
      Number.isSafeInteger(bytes) &&
      bytes > 0 &&
      Number.isSafeInteger(seq) &&
      seq > 0 &&
      /^[0-9a-f]{64}$/.test(hash) &&
      Number.isSafeInteger(live_from) &&
      live_from >= 0 &&
      live_from <= bytes &&
      (segment === undefined || (Number.isSafeInteger(segment) && segment > 0 && segment <= seq));
    if (!valid) return undefined;
    return segment === undefined ? { bytes, seq, hash, live_from } : { bytes, seq, hash, live_from, segment };
  } catch {
    return undefined;
  }
}

/** The line (without its newline) whose newline is the last byte before `end`, or undefined when there is none. */
export async function lineEndingAt(log: FileHandle, end: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let position = end;
  let length = 0;
  while (position > 0 && length <= MAX_RECORD_BYTES) {
    const size = Math.min(64 * 1024, position);
    const chunk = Buffer.alloc(size);
    const { bytesRead } = await log.read(chunk, 0, size, position - size);
    if (bytesRead !== size) return undefined;
    position -= size;
    length += size;
    chunks.unshift(chunk);
    const text = Buffer.concat(chunks);
    if (text[text.length - 1] !== 0x0a) return undefined;
    const start = text.lastIndexOf(0x0a, text.length - 2);
    if (start !== -1) return text.subarray(start + 1, text.length - 1).toString('utf8');
  }
  return position === 0 ? Buffer.concat(chunks).subarray(0, -1).toString('utf8') : undefined;
}

/** Replaces the checkpoint atomically (a new file, mode 0600, renamed over the old one: a link there is replaced). */
export function writeCheckpoint(logPath: string, checkpoint: EvidenceCheckpoint): Promise<void> {
  return replaceFile(checkpointPath(logPath), `${JSON.stringify(checkpoint)}\n`);
}
