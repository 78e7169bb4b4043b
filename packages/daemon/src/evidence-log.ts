import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type EvidenceBody,
  type EvidenceRecord,
  GENESIS_HASH,
  hashBody,
  recordLine,
} from './evidence-record.js';
import { type EvidenceKey, signRecord } from './evidence-signature.js';
import { checkPrivateDirectory, openOwnFile } from './own-file.js';
import { verifyLines } from './verify-evidence-log.js';
import { claimWriterLock } from './writer-lock.js';

type NewEvidence = Omit<EvidenceBody, 'seq' | 'prev'>;
type Appended = { readonly seq: number; readonly hash: string };

export interface EvidenceLogOptions {
  /** Sign every record with this key (`evidence_signing`); the existing records must carry its valid signatures. */
  readonly key?: EvidenceKey;
  /** Called with each record already in the log, in order, once it verified (the daemon restores state from it). */
  readonly visit?: (record: EvidenceRecord) => void;
}

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
  readonly #key: EvidenceKey | undefined;

  private constructor(
    path: string,
    file: FileHandle,
    unlock: () => Promise<void>,
    seq: number,
    prev: string,
    bytes: number,
    key: EvidenceKey | undefined,
  ) {
    this.path = path;
    this.#file = file;
    this.#key = key;
    this.#unlock = unlock;
    this.#seq = seq;
    this.#prev = prev;
    this.#bytes = bytes;
  }

  /**
   * Opens (or creates, mode 0600) the log and resumes its chain. A torn last line (a crash mid-write, never
   * acknowledged) is cut off; a log whose chain (or, with a key, whose signatures) does not verify is refused rather
   * than extended, and so is a log another live process is writing (`<path>.lock`). A log that is a symbolic link,
   * another user's, or writable by group or others, or in a folder others can write, is refused (UnsafeFileError):
   * whoever can write it can rewrite the decisions in it.
   */
  static async open(path: string, options: EvidenceLogOptions = {}): Promise<EvidenceLog> {
    await checkPrivateDirectory(path, 'evidence log');
    const unlock = await claimWriterLock(path);
    const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT;
    const file = await openOwnFile(path, flags, 'evidence log', { private: true }).catch(async (error) => {
      await unlock();
      throw error;
    });
    try {
      const text = (await file.readFile()).toString('utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      const lines = complete.split('\n').slice(0, -1);
      const verification = verifyLines(lines, options.key ? { key: options.key } : {});
      if (!verification.ok) {
        const first = verification.problems[0];
        const hint =
          first?.problem === 'unsigned'
            ? ': records written before evidence_signing was set cannot be signed now; move this log aside (keep it) and let the daemon start a new one'
            : first?.problem === 'signature_unchecked'
              ? ': configure the same evidence_signing key to extend this log'
              : '';
        throw new Error(
          `evidence log ${path} does not verify (line ${first?.line}: ${first?.message})${hint}; refusing to extend it`,
        );
      }
      if (options.visit) for (const line of lines) options.visit(JSON.parse(line) as EvidenceRecord);
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
        options.key,
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
        const signature = this.#key ? { signature: signRecord(this.#key, prev, hash) } : {};
        seq = body.seq;
        prev = hash;
        appended.push({ seq, hash });
        return recordLine({ ...body, hash, ...signature });
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
