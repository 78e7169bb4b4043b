import { constants } from 'node:fs';
import { type FileHandle, lstat, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { durableWrite, SYNCED_WRITES, syncDirectory } from './durable-write.js';
import {
  checkpointPath,
  type EvidenceCheckpoint,
  lineEndingAt,
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
import {
  type ClosedSegment,
  epochOf,
  listSegments,
  type PruneMark,
  readPruneMark,
  segmentPath,
  writePruneMark,
} from './evidence-segments.js';
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
  /**
   * Write the log in segments (fleet mode: the shipper's spool; see evidence-segments.ts): the active segment is
   * closed once it holds `maxBytes`. With `limitBytes`, an append that would take the closed and active segments
   * together past it is refused (the daemon keeps that as headroom above `spool_max_bytes` for its recorded blocks).
   */
  readonly segments?: { readonly maxBytes: number; readonly limitBytes?: number };
}

/** The files of a segmented log at one moment: the closed segments, oldest first, then the active one. */
export interface SpoolLayout {
  readonly closed: readonly ClosedSegment[];
  /** The log's own path; `bytes`: its acknowledged records only. */
  readonly active: ClosedSegment;
  /** The seq of the last acknowledged record. */
  readonly last: number;
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
  #file: FileHandle;
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
  readonly #segments: EvidenceLogOptions['segments'];
  /** Segmented: the closed segments, oldest first, and the seq of the active one's first record. */
  #closed: ClosedSegment[];
  #activeFirst: number;
  /** The epoch, once read (the hash of record 1 names it; the prune mark keeps it once record 1 is pruned). */
  #epoch: string | undefined;
  #pruneMark: PruneMark | undefined;
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
      segments: EvidenceLogOptions['segments'];
      closed: ClosedSegment[];
      activeFirst: number;
      pruneMark: PruneMark | undefined;
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
    this.#segments = resumed.segments;
    this.#closed = resumed.closed;
    this.#activeFirst = resumed.activeFirst;
    this.#pruneMark = resumed.pruneMark;
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
    let closed: ClosedSegment[] = [];
    let pruneMark: PruneMark | undefined;
    if (options.segments) {
      [closed, pruneMark] = await Promise.all([listSegments(path), readPruneMark(path)]).catch(
        async (error) => {
          await unlock();
          throw error;
        },
      );
    }
    // A segmented log's active file is missing after a crash between closing a segment and creating the next one:
    // its closed segments must then hold the checkpoint's record, which the verification below checks.
    if (missing && recorded && !options.acceptTruncated && closed.length === 0) {
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
      // The file holding the checkpoint's record: the closed segment it names, or else the active file (the whole log
      // when it is not segmented). With closed segments, a checkpoint naming none is not used.
      const named =
        recorded?.segment === undefined ? -1 : closed.findIndex((c) => c.first === recorded.segment);
      const at =
        named !== -1 ? named : recorded?.segment !== undefined || closed.length === 0 ? closed.length : -1;
      const checkpoint =
        at === -1
          ? undefined
          : at === closed.length
            ? await matchingCheckpoint(recorded, file, size, options.key, logId)
            : await withSegment(closed[at] as ClosedSegment, (handle, bytes) =>
                matchingCheckpoint(recorded, handle, bytes, options.key, logId),
              );
      const startAt = checkpoint ? at : 0;
      const base = pruneMark ?? { seq: 0, hash: GENESIS_HASH };
      const from = checkpoint ?? { bytes: 0, seq: base.seq, hash: base.hash };
      const { visit, liveUntil, liveMarker } = options;
      const live: LiveRecord[] = [];
      // A checkpoint that does not match: the log must still hold the record it names, or it was cut or replaced.
      // A record the prune mark covers was deleted on purpose, once a receipt covered it: the mark stands for it.
      let holdsRecorded =
        checkpoint !== undefined ||
        recorded === undefined ||
        (pruneMark !== undefined &&
          (recorded.seq < pruneMark.seq ||
            (recorded.seq === pruneMark.seq && recorded.hash === pruneMark.hash)));
      const seen = (record: EvidenceRecord, offset: number, active: boolean) => {
        if (recorded && record.seq === recorded.seq && record.hash === recorded.hash) holdsRecorded = true;
        visit?.(record);
        const until = liveUntil?.(record);
        if (until !== undefined && active) live.push({ offset, until });
      };
      // Records before the checkpoint were verified when it was written: only those still live then are visited.
      // Without liveUntil every record matters; with it, those before the checkpoint's live_from do not (in a closed
      // segment before the checkpoint's, those whose line lacks liveMarker).
      const visitBefore = async (handle: FileHandle, start: number, end: number, active: boolean) => {
        if (!visit) return;
        await readLines(
          handle,
          liveUntil ? start : 0,
          end,
          (line, offset) => seen(JSON.parse(line) as EvidenceRecord, offset, active),
          liveUntil ? liveMarker : undefined,
        );
      };
      // What follows is verified, in chunks: memory does not grow with the log, checkpoint or not. A segmented log is
      // one chain through its closed segments, then the active file.
      const chain = new ChainVerifier({ from, logId, ...(options.key ? { key: options.key } : {}) });
      for (const [index, segment] of closed.entries()) {
        await withSegment(segment, async (handle, bytes) => {
          if (index < startAt) return visitBefore(handle, 0, bytes, false);
          if (index === startAt && checkpoint)
            await visitBefore(handle, checkpoint.live_from, checkpoint.bytes, false);
          const read = await readLines(handle, index === startAt ? from.bytes : 0, bytes, (line, offset) => {
            const record = chain.add(line);
            if (record && chain.ok) seen(record, offset, false);
          });
          if (read.trailingBytes > 0) chain.damaged(segment.path);
        });
      }
      const inActive = startAt === closed.length;
      if (checkpoint && inActive) await visitBefore(file, checkpoint.live_from, checkpoint.bytes, true);
      const activeFirst = chain.result({ tornTail: false }).records + 1;
      const read = await readLines(file, inActive ? from.bytes : 0, size, (line, offset) => {
        const record = chain.add(line);
        if (record && chain.ok) seen(record, offset, true);
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
        segments: options.segments,
        closed,
        activeFirst: inActive && checkpoint ? (checkpoint.segment ?? base.seq + 1) : activeFirst,
        pruneMark,
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
        const data = Buffer.from(lines.join(''), 'utf8');
        const limit = this.#segments?.limitBytes;
        if (limit !== undefined && this.spoolBytes + data.length > limit) throw this.#fullError(limit);
        await durableWrite(this.#file.fd, data);
        this.#seq = seq;
        this.#prev = prev;
        this.#bytes = offset;
        this.#live.push(...live);
        for (const [index, entry] of group.entries()) entry.resolve(appended[index] as Appended);
        if (this.#seq - this.#checkpointed >= CHECKPOINT_EVERY) this.#checkpoint();
        for (const listener of this.#appended) listener(); // listeners do not throw: they only wake a loop
        if (this.#segments && this.#bytes >= this.#segments.maxBytes) await this.#rotate();
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

  /**
   * Closes the active segment: a checkpoint naming it (by its first seq, true before and after the rename), the
   * rename to its segment name, then a new empty file at the path. A crash between the rename and the new file
   * leaves no file at the path, which the next open creates (the closed segment holds the checkpoint's record).
   * Best effort: when the rename fails the segment stays active and grows; when the new file cannot be created the
   * rename is undone, and if even that fails nothing more is written.
   */
  async #rotate(): Promise<void> {
    const first = this.#activeFirst;
    const closedPath = segmentPath(this.path, first);
    const folder = dirname(this.path);
    await this.#checkpoint();
    try {
      await rename(this.path, closedPath);
    } catch {
      return;
    }
    let next: FileHandle | undefined;
    try {
      await syncDirectory(folder);
      const flags =
        constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | SYNCED_WRITES;
      next = await openOwnFile(this.path, flags, 'evidence log', { private: true });
      await syncDirectory(folder);
    } catch (error) {
      await next?.close().catch(() => undefined);
      await rename(closedPath, this.path).catch(() => {
        this.#broken = error;
      });
      return;
    }
    const old = this.#file;
    this.#file = next;
    this.#closed.push({ path: closedPath, first, bytes: this.#bytes });
    this.#activeFirst = this.#seq + 1;
    this.#bytes = 0;
    // Offsets of live records pointed into the closed segment; a start visits closed segments' live records anyway.
    this.#live = [];
    await old.close().catch(() => undefined);
  }

  #fullError(limit: number): Error {
    return new Error(
      `evidence spool ${this.path} is full: ${this.spoolBytes} bytes of ${limit} (spool_max_bytes and its headroom); nothing more is recorded until shipped segments are pruned`,
    );
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

  /** Bytes of acknowledged records on disk: the closed segments and the active file. */
  get spoolBytes(): number {
    let bytes = this.#bytes;
    for (const segment of this.#closed) bytes += segment.bytes;
    return bytes;
  }

  /** The files of the log now (see SpoolLayout); a log that is not segmented is its active file alone. */
  layout(): SpoolLayout {
    return {
      closed: [...this.#closed],
      active: { path: this.path, first: this.#activeFirst, bytes: this.#bytes },
      last: this.#seq,
    };
  }

  /** The log's epoch (see evidence-segments.ts epochOf), or undefined while it holds no record. */
  async epoch(): Promise<string | undefined> {
    if (this.#epoch) return this.#epoch;
    if (this.#pruneMark) return this.#pruneMark.epoch;
    if (this.#seq === 0) return undefined;
    const first = this.#closed[0] ?? { path: this.path, first: this.#activeFirst, bytes: this.#bytes };
    const line = await firstLine(first.path);
    const record = JSON.parse(line) as EvidenceRecord;
    if (record.seq !== 1)
      throw new Error(`evidence log ${this.path}: its first file does not start with record 1`);
    this.#epoch = epochOf(record.hash);
    return this.#epoch;
  }

  /**
   * Deletes the closed segments whose records all have a seq up to `seq`: the caller has checked that a verified
   * receipt covers them and is old enough (see fleet-evidence-prune.ts). The prune mark is written first, so the
   * chain of what remains always starts from a recorded position. Returns the segments deleted.
   */
  async pruneThrough(seq: number): Promise<readonly ClosedSegment[]> {
    const ends = this.#closed.map((segment, index) => ({
      segment,
      last: (this.#closed[index + 1]?.first ?? this.#activeFirst) - 1,
    }));
    const gone = ends.filter(({ last }) => last <= seq);
    const newest = gone[gone.length - 1];
    if (!newest) return [];
    const epoch = await this.epoch();
    const line = await lastLine(newest.segment.path);
    const record = JSON.parse(line) as EvidenceRecord;
    if (record.seq !== newest.last || epoch === undefined) {
      throw new Error(`evidence segment ${newest.segment.path} does not end with record ${newest.last}`);
    }
    const mark = { seq: record.seq, hash: record.hash, epoch };
    await writePruneMark(this.path, mark);
    this.#pruneMark = mark;
    for (const { segment } of gone) {
      await unlink(segment.path);
      this.#closed.shift();
    }
    await syncDirectory(dirname(this.path));
    // The checkpoint may name a segment just deleted: a new one names the active file, when it holds a record.
    await this.#checkpoint();
    return gone.map(({ segment }) => segment);
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
      ...(this.#segments ? { segment: this.#activeFirst } : {}),
    };
    // An active segment just opened holds no record yet: the checkpoint naming the closed one stands.
    if (checkpoint.seq === 0 || checkpoint.bytes === 0 || this.#broken) return this.#checkpointing;
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

/** Runs `use` with a closed segment opened read-only (only if it is this user's private regular file), then closes it. */
async function withSegment<T>(
  segment: ClosedSegment,
  use: (handle: FileHandle, bytes: number) => Promise<T>,
): Promise<T> {
  const handle = await openOwnFile(segment.path, constants.O_RDONLY, 'evidence segment', { private: true });
  try {
    return await use(handle, (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

/** The first line of a file of the log (without its newline). */
async function firstLine(path: string): Promise<string> {
  const handle = await openOwnFile(path, constants.O_RDONLY, 'evidence segment', { private: true });
  try {
    let found: string | undefined;
    const stop = new Error('first line read');
    await readLines(handle, 0, (await handle.stat()).size, (line) => {
      found = line;
      throw stop;
    }).catch((error) => {
      if (error !== stop) throw error;
    });
    if (found === undefined) throw new Error(`evidence log file ${path} holds no record`);
    return found;
  } finally {
    await handle.close();
  }
}

/** The last complete line of a closed segment (without its newline). */
async function lastLine(path: string): Promise<string> {
  const handle = await openOwnFile(path, constants.O_RDONLY, 'evidence segment', { private: true });
  try {
    const line = await lineEndingAt(handle, (await handle.stat()).size);
    if (line === undefined) throw new Error(`evidence segment ${path} does not end with a complete record`);
    return line;
  } finally {
    await handle.close();
  }
}
