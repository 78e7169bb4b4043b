/**
 * Splits a byte stream into newline-terminated frames with a hard size bound, without ever buffering more than
 * `maxFrameBytes` of an unfinished frame. (node:readline has no such bound.)
 */
export class FrameSplitter {
  readonly #maxFrameBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Bytes of an unfinished frame held right now. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Feeds a chunk; returns the complete frames (without the newline, empty lines dropped), or `oversize` when the
   * unfinished frame exceeds the bound: the stream can no longer be trusted and the caller closes it.
   */
  push(chunk: Buffer): { frames: string[]; oversize: boolean } {
    const frames: string[] = [];
    let start = 0;
    for (let index = chunk.indexOf(0x0a); index !== -1; index = chunk.indexOf(0x0a, start)) {
      const part = chunk.subarray(start, index);
      if (this.#pendingBytes + part.length > this.#maxFrameBytes) return { frames, oversize: true };
      const frame = this.#pendingBytes === 0 ? part : Buffer.concat([...this.#pending, part]);
      this.#pending = [];
      this.#pendingBytes = 0;
      const text = frame.toString('utf8').replace(/\r$/, '');
      if (text.trim() !== '') frames.push(text);
      start = index + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.#pendingBytes + rest.length > this.#maxFrameBytes) return { frames, oversize: true };
      this.#pending.push(Buffer.from(rest));
      this.#pendingBytes += rest.length;
    }
    return { frames, oversize: false };
  }
}
