import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type EvidenceBody, GENESIS_HASH, hashBody, recordLine } from './evidence-record.js';
import { verifyLines } from './verify-evidence-log.js';
import { claimWriterLock } from './writer-lock.js';

type NewEvidence = Omit<EvidenceBody, 'seq' | 'prev'>;
type Appended = { readonly seq: number; readonly hash: string };

/**
 * The append-only, hash-chained evidence log. Each append resolves only after its line is written and fsync'ed,
 * so a decision is never answered before its evidence is durable. Appends that arrive while a flush is running are
 * committed together by the next flush: one write and one fsync for the whole group (group commit).
 */
export class EvidenceLog {
  readonly path: string;
  readonly #file: FileHandle;
  #seq: number;
  #prev: string;
  #waiting: { evidence: NewEvidence; resolve(value: Appended): void; reject(error: unknown): void }[] = [];
  #flushing: Promise<void> | undefined;
  /** Bytes of acknowledged records in the file. */
  #bytes: number;
  #broken: unknown;
  readonly #unlock: () => Promise<void>;

  private constructor(
    path: string,
    file: FileHandle,
    unlock: () => Promise<void>,
    seq: number,
    prev: string,
    bytes: number,
  ) {
    this.path = path;
    this.#file = file;
    this.#unlock = unlock;
    this.#seq = seq;
    this.#prev = prev;
    this.#bytes = bytes;
  }

  /**
   * Opens (or creates, mode 0600) the log and resumes its chain. A torn last line (a crash mid-write, never
   * acknowledged) is cut off; a log whose chain does not verify is refused rather than extended, and so is a log
   * another live process is writing (`<path>.lock`).
   */
  static async open(path: string): Promise<EvidenceLog> {
    const unlock = await claimWriterLock(path);
    const file = await open(path, 'a+', 0o600).catch(async (error) => {
      await unlock();
      throw error;
    });
    try {
      const text = (await file.readFile()).toString('utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      const lines = complete.split('\n').slice(0, -1);
      const verification = verifyLines(lines, false);
      if (!verification.ok) {
        const first = verification.problems[0];
        throw new Error(
          `evidence log ${path} does not verify (line ${first?.line}: ${first?.message}); refusing to extend it`,
        );
      }
      if (complete.length !== text.length) {
        await file.truncate(Buffer.byteLength(complete, 'utf8'));
        await file.sync();
      }
      if (text.length === 0) await syncDirectory(dirname(path)); // a new file survives a power cut too
      return new EvidenceLog(
        path,
        file,
        unlock,
        verification.records,
        verification.lastHash,
        Buffer.byteLength(complete, 'utf8'),
      );
    } catch (error) {
      await file.close();
      await unlock();
      throw error;
    }
  }

  /** Appends one record; resolves with its seq and hash once it is on disk. */
  append(evidence: NewEvidence): Promise<Appended> {
    return new Promise((resolve, reject) => {
      if (this.#broken) {
        reject(this.#brokenError());
        return;
      }
      this.#waiting.push({ evidence, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    while (this.#waiting.length > 0) {
      const group = this.#waiting.splice(0);
      if (this.#broken) {
        // Queued before the failed repair: the file may end in a partial line, so nothing more is written to it.
        for (const entry of group) entry.reject(this.#brokenError());
        continue;
      }
      let seq = this.#seq;
      let prev = this.#prev;
      const appended: Appended[] = [];
      const lines = group.map(({ evidence }) => {
        const body: EvidenceBody = { seq: seq + 1, prev, ...evidence };
        const hash = hashBody(body);
        seq = body.seq;
        prev = hash;
        appended.push({ seq, hash });
        return recordLine({ ...body, hash });
      });
      try {
        const text = lines.join('');
        // appendFile writes until every byte is written: a bare write() may be cut short (a full disk, a file size
        // limit) without an error, which would acknowledge a torn record.
        await this.#file.appendFile(text);
        await this.#file.datasync();
        this.#seq = seq;
        this.#prev = prev;
        this.#bytes += Buffer.byteLength(text, 'utf8');
        for (const [index, entry] of group.entries()) entry.resolve(appended[index] as Appended);
      } catch (error) {
        // Nothing of this group is acknowledged. Cut whatever part of it reached the file, so the chain goes on
        // from the last acknowledged record; if even that fails, refuse every further append.
        await this.#file.truncate(this.#bytes).catch(() => {
          this.#broken = error;
        });
        for (const entry of group) entry.reject(error);
      }
    }
    this.#flushing = undefined;
  }

  #brokenError(): Error {
    return new Error(
      `evidence log ${this.path} could not be repaired after a failed write; restart the daemon`,
    );
  }

  get records(): number {
    return this.#seq;
  }

  get lastHash(): string {
    return this.#prev || GENESIS_HASH;
  }

  async close(): Promise<void> {
    await this.#flushing;
    await this.#file.close();
    await this.#unlock();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
