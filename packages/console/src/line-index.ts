import { type FileHandle, open } from 'node:fs/promises';

/** Bytes read at a time: the log is streamed, never read whole. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Where each complete line of an append-only file starts, so that any page of lines is one read away. Built once,
 * extended with the lines appended since (a log only grows); rebuilt when the file shrank (replaced or truncated).
 * Holds one number per line (8 bytes), never the lines.
 */
export class LineIndex {
  readonly #path: string;
  /** starts[i]: byte offset of line i; `#end`: just past the last complete line. */
  #starts: number[] = [];
  #end = 0;

  constructor(path: string) {
    this.#path = path;
  }

  get lines(): number {
    return this.#starts.length;
  }

  /** The refresh in progress: refreshes run one after the other, or two would index the same new lines twice. */
  #refreshing: Promise<unknown> = Promise.resolve();

  /** Brings the index up to the file's current end; returns the open file for reading pages (the caller closes it). */
  refresh(): Promise<FileHandle> {
    const refreshed = this.#refreshing.then(() => this.#extend());
    this.#refreshing = refreshed.catch(() => undefined);
    return refreshed;
  }

  async #extend(): Promise<FileHandle> {
    const file = await open(this.#path, 'r');
    try {
      const { size } = await file.stat();
      if (size < this.#end) {
        this.#starts = [];
        this.#end = 0;
      }
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      let position = this.#end;
      let lineStart = this.#end;
      while (position < size) {
        const { bytesRead } = await file.read(buffer, 0, Math.min(CHUNK_BYTES, size - position), position);
        if (bytesRead === 0) break;
        for (
          let at = buffer.indexOf(0x0a, 0);
          at !== -1 && at < bytesRead;
          at = buffer.indexOf(0x0a, at + 1)
        ) {
          this.#starts.push(lineStart);
          lineStart = position + at + 1;
        }
        position += bytesRead;
      }
      this.#end = lineStart;
      return file;
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** Lines [from, to) of the file, read in one go (the caller bounds the range). */
  async read(file: FileHandle, from: number, to: number): Promise<string[]> {
    if (from >= to) return [];
    const start = this.#starts[from] as number;
    const end = to < this.#starts.length ? (this.#starts[to] as number) : this.#end;
    const bytes = Buffer.allocUnsafe(end - start);
    await file.read(bytes, 0, bytes.length, start);
    const text = bytes.toString('utf8');
    return text.slice(0, -1).split('\n');
  }
}

/**
 * Calls `onLine` with every complete line from byte `start` to the file's end; resolves with the end read to. A file
 * now shorter than `start` is not read (its `size` tells the caller it was replaced or truncated).
 */
export async function forEachLine(
  path: string,
  start: number,
  onLine: (line: string) => void,
): Promise<{ end: number; size: number; mtimeMs: number }> {
  const file = await open(path, 'r');
  try {
    const { size, mtimeMs } = await file.stat();
    if (size < start) return { end: start, size, mtimeMs };
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let pending = Buffer.alloc(0);
    let position = start;
    let lineEnd = start;
    while (position < size) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(CHUNK_BYTES, size - position), position);
      if (bytesRead === 0) break;
      const bytes = Buffer.concat([pending, buffer.subarray(0, bytesRead)]);
      let lineFrom = 0;
      for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, lineFrom)) {
        onLine(bytes.subarray(lineFrom, at).toString('utf8'));
        lineFrom = at + 1;
      }
      position += bytesRead;
      lineEnd = position - (bytes.length - lineFrom);
      pending = Buffer.from(bytes.subarray(lineFrom));
    }
    return { end: lineEnd, size, mtimeMs };
  } finally {
    await file.close();
  }
}
