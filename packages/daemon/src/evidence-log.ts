import { constants } from 'node:fs';
import { type FileHandle, lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { durableWrite, SYNCED_WRITES, syncDirectory } from './durable-write.js';
import {
  checkpointPath,
  type EvidenceCheckpoint,
  matchingCheckpoint,
  readCheckpoint,
  writeCheckpoint,
} from './evidence-checkpoint.js';
import {
  type EvidenceBody,
  type EvidenceEvent,
  type EvidenceEventBody,
  type EvidenceRecord,
  GENESIS_HASH,
  sealRecord,
} from './evidence-record.js';
import { evidenceLogId, evidenceRef } from './evidence-ref.js';
import { type EvidenceKey, signRecord } from './evidence-signature.js';
import { readLines } from './log-lines.js';
import { checkPrivateDirectory, openOwnFile } from './own-file.js';
import { ChainVerifier } from './verify-evidence-log.js';
import { claimWriterLock } from './writer-lock.js';

/** Records between two checkpoints written while the daemon runs (it writes one when it closes too). */
const CHECKPOINT_EVERY = 10_000;

/** A record that may still matter to `visit` at a later start: where it starts in the log, and until when. */
type LiveRecord = { readonly offset: number; readonly until: number };

type NewEvidence = Omit<EvidenceBody, 'seq' | 'prev'> | Omit<EvidenceEventBody, 'seq' | 'prev'>;
/** A record on disk: its place, its hash, its reference, and the decision as recorded (which ends with that ref). */
type Appended = {
  readonly seq: number;
  readonly hash: string;
  readonly ref: string;
  readonly decision: Readonly<Record<string, unknown>>;
  /** The decision's JSON text, as it stands in the record (undefined for an event): the answer reuses it. */
  readonly decisionText: string | undefined;
};

export interface EvidenceLogOptions {
  /** Sign every record with this key (`evidence_signing`); the existing records must carry its valid signatures. */
  readonly key?: EvidenceKey;
  /**
   * Called with each record already in the log, in order, as it is read (the daemon restores state from it). When
   * the log does not verify, open rejects: what visit built from it must then be dropped.
   */
  readonly visit?: (record: EvidenceRecord) => void;
  /**
   * Until when (ms since the epoch) a record matters to `visit`, or undefined when it never does. With it, a start
   * from a checkpoint visits only the records that were still live when the checkpoint was written, and those after
   * it, instead of the whole log.
   */
  readonly liveUntil?: (record: EvidenceRecord) => number | undefined;
  /**
   * Text in the line of every record liveUntil may find live. Records before the checkpoint (already verified) whose
   * line lacks it are then not even decoded at start.
   */
  readonly liveMarker?: string;
  /** The clock liveUntil is compared with, and that dates the `truncation_accepted` record; `Date.now` by default. */
  readonly now?: () => number;
  /**
   * Open a log that does not hold the record its checkpoint names (it was cut, deleted or replaced) instead of
   * refusing it, and record that as a `truncation_accepted` event, the first record appended.
   */
  readonly acceptTruncated?: boolean;
  /** The daemon's fleet identity, stated in every record appended (`daemon_id`); records already there keep theirs. */
  readonly daemonId?: string;
}

/** A log that does not hold the record its checkpoint names: what the checkpoint said and what was found. */
type Shortfall = Extract<EvidenceEvent, { type: 'truncation_accepted' }>;

/**
 * The append-only, hash-chained evidence log. Each append resolves only after its line is written and fsync'ed,
 * so a decision is never answered before its evidence is durable. Appends that arrive while a flush is running are
 * committed together by the next flush: one write and one fsync for the whole group (group commit).
 */
export class EvidenceLog {
  readonly path: string;
  /** `evidenceLogId(path)`: names this log in the evidence refs of its decisions. */
  readonly id: string;
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
  /** The seq of the last checkpoint written, and the write in progress (they take turns). */
  #checkpointed: number;
  #checkpointing: Promise<void> = Promise.resolve();
  /** Where the records that may still matter to a future start's visit begin, in log order. */
  #live: LiveRecord[];
  readonly #liveUntil: EvidenceLogOptions['liveUntil'];
  readonly #now: () => number;
  readonly #stamp: { readonly daemon_id?: string };
  readonly #appended = new Set<() => void>();

  private constructor(
    path: string,
    file: FileHandle,
    unlock: () => Promise<void>,
    resumed: {
      seq: number;
      prev: string;
      bytes: number;
      key: EvidenceKey | undefined;
      live: LiveRecord[];
      liveUntil: EvidenceLogOptions['liveUntil'];
      now: () => number;
      daemonId: string | undefined;
    },
  ) {
    this.path = path;
    this.id = evidenceLogId(path);
    this.#file = file;
    this.#unlock = unlock;
    this.#seq = resumed.seq;
    this.#prev = resumed.prev;
    this.#bytes = resumed.bytes;
    this.#key = resumed.key;
    this.#checkpointed = resumed.seq;
    this.#live = resumed.live;
    this.#liveUntil = resumed.liveUntil;
    this.#now = resumed.now;
    this.#stamp = resumed.daemonId ? { daemon_id: resumed.daemonId } : {};
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
    const recorded = await readCheckpoint(path);
    const missing = await lstat(path).then(
      () => false,
      (error: NodeJS.ErrnoException) => error.code === 'ENOENT',
    );
    if (missing && recorded && !options.acceptTruncated) {
      await unlock();
      throw new Error(shortfallText(path, shortfall(recorded, 0, 0, true)));
    }
    const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | SYNCED_WRITES;
    const file = await openOwnFile(path, flags, 'evidence log', { private: true }).catch(async (error) => {
      await unlock();
      throw error;
    });
    try {
      const size = (await file.stat()).size;
      const logId = evidenceLogId(path);
      const checkpoint = await matchingCheckpoint(recorded, file, size, options.key, logId);
      const from = checkpoint ?? { bytes: 0, seq: 0, hash: GENESIS_HASH };
      const { visit, liveUntil, liveMarker } = options;
      const live: LiveRecord[] = [];
      // A checkpoint that does not match: the log must still hold the record it names, or it was cut or replaced.
      let holdsRecorded = checkpoint !== undefined || recorded === undefined;
      const seen = (record: EvidenceRecord, offset: number) => {
        if (recorded && record.seq === recorded.seq && record.hash === recorded.hash) holdsRecorded = true;
        visit?.(record);
        const until = liveUntil?.(record);
        if (until !== undefined) live.push({ offset, until });
      };
      // Records before the checkpoint were verified when it was written: only those still live then are visited.
      // Without liveUntil every record matters; with it, those before the checkpoint's live_from do not.
      if (checkpoint && visit) {
        await readLines(
          file,
          liveUntil ? checkpoint.live_from : 0,
          checkpoint.bytes,
          (line, offset) => seen(JSON.parse(line) as EvidenceRecord, offset),
          liveUntil ? liveMarker : undefined,
        );
      }
      // What follows is verified, in chunks: memory does not grow with the log, checkpoint or not.
      const chain = new ChainVerifier({ from, logId, ...(options.key ? { key: options.key } : {}) });
      const read = await readLines(file, from.bytes, size, (line, offset) => {
        const record = chain.add(line);
        if (record && chain.ok) seen(record, offset);
      });
      const verification = chain.result({ tornTail: read.trailingBytes > 0 });
      if (!verification.ok) {
        const first = verification.problems[0];
        const hint =
          first?.problem === 'unsigned'
            ? ': records written before evidence_signing was set cannot be signed now; move this log aside (keep it) and let the daemon start a new one'
            : first?.problem === 'signature_unchecked'
              ? ': configure the same evidence_signing key to extend this log'
              : '';
        throw new Error(
          `evidence log ${path} does not verify (record ${from.seq + (first?.line ?? 0)}: ${first?.message})${hint}; refusing to extend it`,
        );
      }
      const bytes = read.end;
      const cut =
        recorded && !holdsRecorded ? shortfall(recorded, verification.records, bytes, missing) : undefined;
      if (cut && !options.acceptTruncated) throw new Error(shortfallText(path, cut));
      if (bytes !== size) {
        // A torn last line (a crash mid-write, never acknowledged) is cut off.
        await file.truncate(bytes);
        await file.sync();
      }
      if (size === 0) await syncDirectory(dirname(path)); // a new file survives a power cut too
      const log = new EvidenceLog(path, file, unlock, {
        seq: verification.records,
        prev: verification.lastHash,
        bytes,
        key: options.key,
        live,
        liveUntil: options.liveUntil,
        now: options.now ?? Date.now,
        daemonId: options.daemonId,
      });
      if (cut) {
        // Said first, before any decision on the shorter log: whoever reads it learns what was accepted.
        await log
          .append({ recorded_at: new Date(log.#now()).toISOString(), event: cut })
          .catch(async (error) => {
            await log.close();
            throw error;
          });
      }
      return log;
    } catch (error) {
      await file.close();
      await unlock();
      throw error;
    }
  }

  /**
   * Appends one record; resolves once it is on disk. A decision gets, as its last evidence ref, the reference to
   * this record (`cavra-daemon-evidence://<log id>/<seq>`), stamped when the seq is known: the decision the
   * caller answers is the one resolved here, as recorded. An event (`event` instead of `decision`) is recorded as
   * given.
   */
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
      const live: LiveRecord[] = [];
      let offset = this.#bytes;
      const lines = group.map(({ evidence }) => {
        const ref = evidenceRef(this.id, seq + 1);
        let decision: Readonly<Record<string, unknown>> = {};
        let decisionText: string | undefined;
        let body: EvidenceBody | EvidenceEventBody;
        if ('event' in evidence) {
          body = { seq: seq + 1, prev, ...evidence, ...this.#stamp };
        } else {
          const refs = evidence.decision.evidence_refs;
          decision = { ...evidence.decision, evidence_refs: [...(Array.isArray(refs) ? refs : []), ref] };
          decisionText = JSON.stringify(decision);
          body = { seq: seq + 1, prev, ...evidence, decision, ...this.#stamp };
        }
        const key = this.#key;
        const { record, line } = sealRecord(
          body,
          key ? (hash) => signRecord(key, this.id, body.prev, hash) : undefined,
          decisionText,
        );
        seq = body.seq;
        prev = record.hash;
        appended.push({ seq, hash: record.hash, ref, decision, decisionText });
        const until = this.#liveUntil?.(record);
        if (until !== undefined) live.push({ offset, until });
        offset += Buffer.byteLength(line, 'utf8');
        return line;
      });
      try {
        await durableWrite(this.#file.fd, Buffer.from(lines.join(''), 'utf8'));
        this.#seq = seq;
        this.#prev = prev;
        this.#bytes = offset;
        this.#live.push(...live);
        for (const [index, entry] of group.entries()) entry.resolve(appended[index] as Appended);
        for (const listener of this.#appended) listener();
        if (this.#seq - this.#checkpointed >= CHECKPOINT_EVERY) this.#checkpoint();
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

  /** Bytes of acknowledged records: readers (the fleet shipper) read no further, so never a line being written. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Calls `listener` after each group of records is durable; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.#appended.add(listener);
    return () => this.#appended.delete(listener);
  }

  get lastHash(): string {
    return this.#prev || GENESIS_HASH;
  }

  /**
   * Records how far the log is known good, so the next start verifies only what comes after. Best effort: a
   * checkpoint that cannot be written costs the next start a longer verification, never a record.
   */
  #checkpoint(): Promise<void> {
    const now = this.#now();
    this.#live = this.#live.filter((record) => record.until > now);
    const checkpoint = {
      bytes: this.#bytes,
      seq: this.#seq,
      hash: this.#prev,
      // Without liveUntil nothing tells which records matter, so a later start with it visits them all.
      live_from: this.#liveUntil ? (this.#live[0]?.offset ?? this.#bytes) : 0,
    };
    if (checkpoint.seq === 0 || this.#broken) return this.#checkpointing;
    this.#checkpointed = checkpoint.seq;
    this.#checkpointing = this.#checkpointing
      .then(() => writeCheckpoint(this.path, checkpoint))
      .catch(() => {});
    return this.#checkpointing;
  }

  async close(): Promise<void> {
    await this.#flushing;
    await this.#checkpoint();
    await this.#file.close();
    await this.#unlock();
  }
}

function shortfall(
  recorded: EvidenceCheckpoint,
  records: number,
  bytes: number,
  missing: boolean,
): Shortfall {
  return {
    type: 'truncation_accepted',
    checkpoint: { seq: recorded.seq, bytes: recorded.bytes, hash: recorded.hash },
    found: { records, bytes, missing },
  };
}

/** Why a log that does not hold what its checkpoint says is refused, naming both files, and what the operator can do. */
function shortfallText(path: string, { checkpoint, found }: Shortfall): string {
  const records = (count: number) => `${count} record${count === 1 ? '' : 's'}`;
  const said = `its checkpoint ${checkpointPath(path)} says it held ${records(checkpoint.seq)} (${checkpoint.bytes} bytes)`;
  const what = found.missing
    ? `evidence log ${path} is missing but ${said}: it was deleted or moved`
    : found.records < checkpoint.seq
      ? `evidence log ${path} holds ${records(found.records)} (${found.bytes} bytes) but ${said}: it was cut`
      : `evidence log ${path} holds ${records(found.records)} (${found.bytes} bytes) but not record ${checkpoint.seq} with the hash ${checkpoint.hash} that its checkpoint ${checkpointPath(path)} names: it was replaced or rewritten`;
  return `${what}; refusing to ${found.missing ? 'start a new one' : 'extend it'}. Restore it, or start with --accept-truncated to go on from what is there (recorded in the evidence)`;
}
