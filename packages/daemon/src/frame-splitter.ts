/**
 * Splits a byte stream into newline-terminated frames with a hard size bound, without ever buffering more than
 * `maxFrameBytes` of an unfinished frame. (node:readline has no such bound.) Frames stay bytes: they are decoded,
 * strictly, one by one (`parseWireJson`), so one frame that is not UTF-8 is refused without breaking the framing.
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
   * Feeds a chunk; returns the complete frames (without the newline; blank lines dropped), or `oversize` when the
   * unfinished frame exceeds the bound: the stream can no longer be trusted and the caller closes it.
   */
  push(chunk: Buffer): { frames: Buffer[]; oversize: boolean } {
    const frames: Buffer[] = [];
    let start = 0;
    for (let index = chunk.indexOf(0x0a); index !== -1; index = chunk.indexOf(0x0a, start)) {
      const part = chunk.subarray(start, index);
      if (this.#pendingBytes + part.length > this.#maxFrameBytes) return { frames, oversize: true };
      const frame = this.#pendingBytes === 0 ? Buffer.from(part) : Buffer.concat([...this.#pending, part]);
      this.#pending = [];
      this.#pendingBytes = 0;
      if (!isBlank(frame)) frames.push(frame);
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

  /**
   * The stream ended (the client half-closed): the unfinished frame, if any, is the last frame. A single JSON value
   * ended by the half-close is how `printf '%s' "$json" | nc -U` and upstream CAVRA's clients may send a request.
   */
  end(): Buffer | undefined {
    const frame = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    return isBlank(frame) ? undefined : frame;
  }
}

/** Only spaces, tabs and a CR: nothing to answer. */
function isBlank(frame: Buffer): boolean {
  return frame.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d);
}
