import { type FileHandle, open } from 'node:fs/promises';
import { type EvidenceBody, GENESIS_HASH, hashBody, recordLine } from './evidence-record.js';
import { verifyLines } from './verify-evidence-log.js';

type NewEvidence = Omit<EvidenceBody, 'seq' | 'prev'>;

/**
 * The append-only, hash-chained evidence log. Appends are serialised and each returns only after the line is
 * written and fsync'ed, so a decision is never answered before its evidence is durable.
 */
export class EvidenceLog {
  readonly path: string;
  readonly #file: FileHandle;
  #seq: number;
  #prev: string;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, file: FileHandle, seq: number, prev: string) {
    this.path = path;
    this.#file = file;
    this.#seq = seq;
    this.#prev = prev;
  }

  /**
   * Opens (or creates, mode 0600) the log and resumes its chain. A torn last line (a crash mid-write, never
   * acknowledged) is cut off; a log whose chain does not verify is refused rather than extended.
   */
  static async open(path: string): Promise<EvidenceLog> {
    const file = await open(path, 'a+', 0o600);
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
      return new EvidenceLog(path, file, verification.records, verification.lastHash);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** Appends one record and fsyncs; resolves with its seq and hash. */
  append(evidence: NewEvidence): Promise<{ seq: number; hash: string }> {
    const next = this.#queue.then(async () => {
      const body: EvidenceBody = { seq: this.#seq + 1, prev: this.#prev, ...evidence };
      const hash = hashBody(body);
      await this.#file.write(recordLine({ ...body, hash }));
      await this.#file.datasync();
      this.#seq = body.seq;
      this.#prev = hash;
      return { seq: body.seq, hash };
    });
    // A failed append must not wedge the queue for the next one; its caller still sees the failure.
    this.#queue = next.catch(() => undefined);
    return next;
  }

  get records(): number {
    return this.#seq;
  }

  get lastHash(): string {
    return this.#prev || GENESIS_HASH;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#file.close();
  }
}
