import type { FileHandle } from 'node:fs/promises';

/** Bytes read at a time: the log is streamed, so memory does not grow with the part of it read. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Longest line read: a record is far smaller (a frame is at most 16 MiB, and a decision's strings are bounded by
 * the contract), so a longer run of bytes without a newline is not a record, and is not buffered without bound.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** What readLines found after the last complete line. */
export interface LinesRead {
  /** The offset just past the last complete line's newline (`start` when there is none). */
  readonly end: number;
  /** Bytes after that newline, up to `end` of the range: a final line without its newline (a torn write). */
  readonly trailingBytes: number;
}

/**
 * Calls `onLine` with each complete line of `file` between byte offsets `start` and `end`, in order, without its
 * newline, decoded as UTF-8 (invalid bytes become U+FFFD, which no record's hash then matches), and the offset where
 * it starts; with `only`, just the lines that contain that text (the others are not even decoded). Reads in chunks:
 * memory stays bounded by the longest line, not the range. Throws when a line is longer than MAX_LINE_BYTES, or when
 * the file is shorter than `end` (it changed while being read).
 */
export async function readLines(
  file: FileHandle,
  start: number,
  end: number,
  onLine: (line: string, offset: number) => void,
  only?: string,
): Promise<LinesRead> {
  const marker = only === undefined ? undefined : Buffer.from(only, 'utf8');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineStart = start;
  let position = start;
  const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(end - start, 1)));
  while (position < end) {
    const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, end - position), position);
    if (bytesRead === 0)
      throw new Error(`the file ended at byte ${position}, before ${end}: it changed while read`);
    const bytes = chunk.subarray(0, bytesRead);
    let from = 0;
    for (let newline = bytes.indexOf(0x0a); newline !== -1; newline = bytes.indexOf(0x0a, from)) {
      const piece = bytes.subarray(from, newline);
      const whole = pendingBytes === 0 ? piece : Buffer.concat([...pending, piece]);
      if (!marker || whole.includes(marker)) onLine(whole.toString('utf8'), lineStart);
      lineStart = position + newline + 1;
      pending = [];
      pendingBytes = 0;
      from = newline + 1;
    }
    if (from < bytes.length) {
      pendingBytes += bytes.length - from;
      if (pendingBytes > MAX_LINE_BYTES) {
        throw new Error(`a line starting at byte ${lineStart} is longer than ${MAX_LINE_BYTES} bytes`);
      }
      // Copied: the chunk buffer is reused by the next read.
      pending.push(Buffer.from(bytes.subarray(from)));
    }
    position += bytesRead;
  }
  return { end: lineStart, trailingBytes: pendingBytes };
}
