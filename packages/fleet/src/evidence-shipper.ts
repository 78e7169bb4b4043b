import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { Fleet } from './connect-fleet.js';
import {
  EVIDENCE_BATCH_LIMITS,
  EVIDENCE_HEADERS,
  EVIDENCE_STREAM,
  type EvidenceResendRequest,
  evidenceMsgId,
  evidenceSubject,
} from './evidence-names.js';
import { readShipCursor, type ShipCursor, writeShipCursor } from './evidence-ship-cursor.js';
import { openEvidenceBucket } from './evidence-streams.js';
import { FleetError } from './fleet-error.js';
import { toFleetError } from './nats-failure.js';

/** A batch of raw log lines, as written (each with its `\n`), records `first` to `last`. */
export interface EvidenceBatch {
  readonly lines: readonly Uint8Array[];
  readonly first: number;
  readonly last: number;
  /** The `hash` of record `last`. */
  readonly lastHash: string;
}

/** The daemon's log as the shipper sees it: raw lines by seq (the daemon implements it over its log or segments). */
export interface EvidenceSource {
  /** The log's epoch (see evidenceEpoch), or undefined while it holds no record. */
  epoch(): Promise<string | undefined>;
  /** The seq of the last record written (0 for an empty log). */
  lastSeq(): number;
  /** The records after `seq`, at most `maxBytes` and `maxRecords` (at least one record), or undefined when none. */
  readAfter(seq: number, maxBytes: number, maxRecords: number): Promise<EvidenceBatch | undefined>;
  /** Calls `listener` after each append; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void;
}

/** The shipper's state, for the daemon's health report. */
export interface ShipperState {
  /** The epoch of the log being shipped (undefined while the log is empty). */
  readonly epoch: string | undefined;
  /** The last record of this epoch the stream acknowledged (0 for none). */
  readonly shippedSeq: number;
  /** Records of the log not acknowledged yet. */
  readonly pending: number;
  /** The last failure (cleared by the next acknowledgement). */
  readonly lastError: string | undefined;
  /** Acknowledged records the stream no longer held, re-sent from the local log (the server lost them). */
  readonly lostAcksRepaired: number;
  /** Publishes refused for a wrong last subject sequence (each followed by a reconcile). */
  readonly conflicts: number;
  /** Re-send requests of the verifier carried out. */
  readonly resends: number;
  /** Why the cursor file could not be used (the shipper then goes by the stream). */
  readonly cursorProblem: string | undefined;
}

/** Options of {@link startShipper}. */
export interface ShipperOptions {
  /**
   * With `nc`, the shipper looks at its subject again after each reconnect: a server restored from an older copy of
   * its store (acknowledged batches lost) is then repaired even when nothing new is recorded.
   */
  readonly fleet: Pick<Fleet, 'js' | 'jsm' | 'kvm'> & Partial<Pick<Fleet, 'nc'>>;
  readonly daemonId: string;
  readonly source: EvidenceSource;
  /** `<fleet state dir>/evidence-ship.json`. */
  readonly cursorFile: string;
  readonly logger?: ShipperLogger;
  /** Records per batch (default and maximum 1,000). */
  readonly batchMaxRecords?: number;
  /**
   * How long the shipper waits, once the log grows after it was idle, before it reads (default 50 ms): the records
   * decided meanwhile go as one batch, so a steady stream of decisions costs a read, a publish and a cursor write per
   * linger rather than per decision, in the daemon's own process. 0 ships each append at once (`ship_mode: sync`,
   * where a decision waits for its batch).
   */
  readonly lingerMs?: number;
  /** Called after each change of state (off the decision path: only read fields). */
  readonly onState?: (state: ShipperState) => void;
}

/** Where the shipper tells what it does. */
export interface ShipperLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A running shipper. */
export interface ShipperHandle {
  /** Ships what the log holds now, waiting at most `timeoutMs`; resolves with the records left unshipped. */
  drain(timeoutMs: number): Promise<{ readonly unshipped: number }>;
  /** Resolves once record `seq` of the current epoch is acknowledged; rejects when the shipper closes first. */
  waitShipped(seq: number): Promise<void>;
  state(): ShipperState;
  /** Stops shipping (the batch in flight is let finish) and the re-send watch. */
  close(): Promise<void>;
}

/** Where the next batch goes: after record `seq` of `epoch`, expecting `streamSeq` as the subject's last message. */
interface Position {
  readonly epoch: string | undefined;
  readonly seq: number;
  readonly streamSeq: number;
}

/** A batch published without an answer (a timeout, a lost connection): `since` its first publish. */
interface Unanswered {
  readonly first: number;
  readonly last: number;
  readonly since: number;
}

/** Records a re-send request asks for again: `to` absent, everything from `from`. */
interface ResendRange {
  readonly from: number;
  readonly to?: number;
}

const PUBLISH_TIMEOUT_MS = 10_000;
const DEFAULT_LINGER_MS = 50;
const BACKOFF_FIRST_MS = 200;
const BACKOFF_MAX_MS = 10_000;
/**
 * How long a batch without an answer is sent again as it was (same records, same `Nats-Msg-Id`, same expected last
 * subject sequence) before the shipper goes by the subject's last message instead: half the stream's duplicate
 * window (evidence-streams.ts), within which the server drops the batch if its first publish was stored after all.
 */
const UNANSWERED_RESEND_MS = 60_000;

/**
 * Starts shipping the daemon's log to its subject of `CAVRA_EVIDENCE`, one batch in flight: each batch carries
 * `Nats-Msg-Id` (a re-send within the duplicate window is dropped by the server) and the expected last subject
 * sequence (a batch that does not follow the subject's last message is refused). Where to continue is read from the
 * stream itself (the last message on the subject) at start, after each failure, after a refusal and on a re-send
 * request; the cursor file only tells whether the stream lost acknowledged batches, which are then re-sent from the
 * local log. Never on the decision path: failures back off with jitter and are reported in the state.
 */
export function startShipper(options: ShipperOptions): ShipperHandle {
  return new Shipper(options).handle();
}

class Shipper {
  readonly #options: ShipperOptions;
  readonly #subject: string;
  readonly #maxRecords: number;
  readonly #lingerMs: number;
  #position: Position | undefined;
  /** The highest record of the epoch ever acknowledged (this process or the cursor file): what the stream must hold. */
  #acked: ShipCursor | undefined;
  #state: Omit<ShipperState, 'pending' | 'epoch' | 'shippedSeq'> = {
    lastError: undefined,
    lostAcksRepaired: 0,
    conflicts: 0,
    resends: 0,
    cursorProblem: undefined,
  };
  #resend: ResendRange | undefined;
  #unanswered: Unanswered | undefined;
  /** While failures back off, appends do not wake the loop (a drain, a close or a sync decision still do). */
  #backingOff = false;
  /** A hole the stream has before the subject's last batch: re-sent from the local log before anything new. */
  #fill: Required<ResendRange> | undefined;
  #reconnected = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #failures = 0;
  #waiters: { seq: number; resolve(): void; reject(error: Error): void }[] = [];
  readonly #unsubscribe: () => void;
  #watch: { stop(): void } | undefined;
  readonly #running: Promise<void>;

  constructor(options: ShipperOptions) {
    this.#options = options;
    this.#subject = evidenceSubject(options.daemonId);
    const max = options.batchMaxRecords ?? EVIDENCE_BATCH_LIMITS.maxRecords;
    if (!Number.isInteger(max) || max < 1 || max > EVIDENCE_BATCH_LIMITS.maxRecords)
      throw new FleetError(
        'invalid_options',
        `batchMaxRecords must be an integer from 1 to ${EVIDENCE_BATCH_LIMITS.maxRecords}, got ${max}`,
      );
    this.#maxRecords = max;
    const linger = options.lingerMs ?? DEFAULT_LINGER_MS;
    if (!Number.isInteger(linger) || linger < 0 || linger > 10_000)
      throw new FleetError('invalid_options', `lingerMs must be an integer from 0 to 10000, got ${linger}`);
    this.#lingerMs = linger;
    this.#unsubscribe = options.source.onAppend(() => {
      if (!this.#backingOff) this.#wakeUp();
    });
    this.#running = this.#run();
    void this.#watchResends();
    void this.#watchReconnects();
  }

  handle(): ShipperHandle {
    return {
      drain: (timeoutMs) => this.#drain(timeoutMs),
      waitShipped: (seq) => this.#waitShipped(seq),
      state: () => this.#snapshot(),
      close: () => this.#close(),
    };
  }

  #snapshot(): ShipperState {
    const shippedSeq = this.#position?.seq ?? this.#acked?.seq ?? 0;
    return {
      ...this.#state,
      epoch: this.#position?.epoch,
      shippedSeq,
      pending: Math.max(0, this.#options.source.lastSeq() - shippedSeq),
    };
  }

  #changed(): void {
    this.#options.onState?.(this.#snapshot());
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Waits for an append, a wake-up or `ms` (when given). */
  #sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.#wakeUp(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    const { cursor, problem } = await readShipCursor(this.#options.cursorFile);
    if (problem) this.#options.logger?.error(`fleet evidence: ${problem}; going by the stream`);
    this.#state = { ...this.#state, cursorProblem: problem };
    if (cursor?.daemon_id === this.#options.daemonId) this.#acked = cursor;
    while (!this.#closed) {
      try {
        // A batch without an answer goes again first: reading the subject now could miss it while the servers still
        // store it, and a batch with other bounds would then store its records twice.
        const settled = this.#unanswered === undefined;
        if (settled && (this.#position === undefined || this.#resend !== undefined || this.#reconnected)) {
          this.#reconnected = false;
          await this.#reconcile();
        }
        const shipped = await this.#shipNext();
        if (shipped === 'nothing') await this.#sleep();
        if (shipped !== 'more' && this.#lingerMs > 0 && !this.#closed)
          await new Promise((resolve) => setTimeout(resolve, this.#lingerMs));
      } catch (error) {
        if (this.#closed) break;
        const unanswered = this.#unanswered;
        if (unanswered === undefined || Date.now() - unanswered.since >= UNANSWERED_RESEND_MS) {
          this.#unanswered = undefined;
          this.#position = undefined;
        }
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence) {
          // Another batch reached the subject since we looked (a publish whose ack was lost, say): look again.
          this.#state = { ...this.#state, conflicts: this.#state.conflicts + 1 };
          this.#options.logger?.warn('fleet evidence: the subject moved on; reading its last batch again', {
            subject: this.#subject,
          });
          this.#changed();
          continue;
        }
        await this.#failed(error);
      }
    }
  }

  async #failed(error: unknown): Promise<void> {
    const message = error instanceof SourceFailure ? error.message : toFleetError(error).message;
    if (this.#failures === 0)
      this.#options.logger?.warn('fleet evidence: shipping failed; retrying with backoff', {
        error: message,
      });
    this.#failures++;
    this.#state = { ...this.#state, lastError: message };
    this.#changed();
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(this.#failures, 16));
    this.#backingOff = true;
    try {
      await this.#sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    } finally {
      this.#backingOff = false;
    }
  }

  /**
   * Reads the subject's last batch and continues after it. A stream behind what was acknowledged lost batches: they
   * are re-sent from the local log, and said.
   */
  async #reconcile(): Promise<void> {
    const epoch = await fromSource(this.#options.source.epoch());
    const last = await this.#options.fleet.jsm.streams
      .getMessage(EVIDENCE_STREAM, { last_by_subj: this.#subject })
      .catch((error: unknown) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
          throw new FleetError(
            'bucket_missing',
            `the fleet stream ${EVIDENCE_STREAM} does not exist: a publisher creates it (connectFleet with createBuckets)`,
            { cause: error },
          );
        throw error;
      });
    const streamSeq = last?.seq ?? 0;
    const lastEpoch = last?.header.get(EVIDENCE_HEADERS.epoch);
    const lastSeq = Number(last?.header.get(EVIDENCE_HEADERS.lastSeq));
    let seq = 0;
    if (last && lastEpoch === epoch) {
      if (!Number.isSafeInteger(lastSeq) || lastSeq < 1)
        throw new FleetError(
          'nats_error',
          `the last message on ${this.#subject} (stream seq ${streamSeq}) has no valid ${EVIDENCE_HEADERS.lastSeq} header`,
        );
      seq = lastSeq;
    }
    const acked = this.#acked?.epoch === epoch ? this.#acked : undefined;
    if (acked && acked.seq > seq) {
      this.#options.logger?.error(
        'fleet evidence: the stream lost acknowledged batches; re-sending them from the local log',
        { subject: this.#subject, acknowledged: acked.seq, stream_holds: seq },
      );
      this.#state = { ...this.#state, lostAcksRepaired: this.#state.lostAcksRepaired + (acked.seq - seq) };
      this.#acked = { ...acked, seq }; // counted once: the re-sent batches raise it again
    }
    if (epoch !== undefined && this.#options.source.lastSeq() < seq)
      throw new FleetError(
        'nats_error',
        `the stream holds records up to ${seq} of epoch ${epoch} but the local log ends at ${this.#options.source.lastSeq()}: it was cut after shipping`,
      );
    const request = this.#resend;
    // A hole being filled when the subject moved on or NATS reconnected is still asked for.
    const resend = request ?? this.#fill;
    this.#resend = undefined;
    this.#fill = undefined;
    if (resend !== undefined && resend.from - 1 < seq) {
      if (request !== undefined) {
        this.#options.logger?.warn('fleet evidence: the verifier asked for records again; re-sending', {
          from_seq: request.from,
          ...(request.to !== undefined ? { to_seq: request.to } : {}),
        });
        this.#state = { ...this.#state, resends: this.#state.resends + 1 };
      }
      // A hole before the subject's last batch is filled alone: re-sending what follows it would store that twice.
      if (resend.to !== undefined && resend.to < seq) this.#fill = { from: resend.from, to: resend.to };
      else seq = resend.from - 1;
    }
    this.#position = { epoch, seq, streamSeq };
    if (epoch !== undefined) this.#settle(seq);
    this.#changed();
  }

  /** Publishes the next batch; false when the log holds nothing more. */
  /**
   * Ships the next batch: `nothing` when the log holds nothing new, `partial` after a batch below its limits (the
   * loop lingers before the next, so that records decided meanwhile gather), `more` when the next goes at once (a
   * full batch: a backlog drains at full speed; a new position).
   */
  async #shipNext(): Promise<'nothing' | 'partial' | 'more'> {
    const position = this.#position as Position;
    if (position.epoch === undefined) {
      // An empty log at the last look: once it holds a record, its epoch is known.
      if (this.#options.source.lastSeq() === 0) return 'nothing';
      this.#position = undefined;
      return 'more';
    }
    const fill = this.#fill;
    const unanswered = this.#unanswered;
    // After which record, and how many: the unanswered batch exactly, else the hole being filled, else what is new.
    const [after, count] = unanswered
      ? [unanswered.first - 1, unanswered.last - unanswered.first + 1]
      : fill
        ? [fill.from - 1, Math.min(this.#maxRecords, fill.to - fill.from + 1)]
        : [position.seq, this.#maxRecords];
    const batch = await fromSource(
      this.#options.source.readAfter(after, EVIDENCE_BATCH_LIMITS.maxBytes, count),
    );
    if (unanswered && batch?.last !== unanswered.last) {
      this.#unanswered = undefined;
      throw new SourceFailure(
        `the local evidence log no longer reads as batch ${unanswered.first}-${unanswered.last}, published without an answer`,
      );
    }
    if (!batch) {
      if (!fill) return 'nothing';
      // The local log no longer holds the hole (pruned): the verifier names what stays missing.
      this.#fill = undefined;
      return 'more';
    }
    const id = {
      daemonId: this.#options.daemonId,
      epoch: position.epoch,
      firstSeq: batch.first,
      lastSeq: batch.last,
    };
    const h = headers();
    h.set(EVIDENCE_HEADERS.daemonId, id.daemonId);
    h.set(EVIDENCE_HEADERS.epoch, id.epoch);
    h.set(EVIDENCE_HEADERS.firstSeq, String(batch.first));
    h.set(EVIDENCE_HEADERS.lastSeq, String(batch.last));
    this.#unanswered = unanswered ?? { first: batch.first, last: batch.last, since: Date.now() };
    const ack = await this.#options.fleet.js
      .publish(this.#subject, Buffer.concat(batch.lines), {
        msgID: evidenceMsgId(id),
        expect: { lastSubjectSequence: position.streamSeq },
        headers: h,
        timeout: PUBLISH_TIMEOUT_MS,
      })
      .catch((error: unknown) => {
        // Refused by the servers: nothing was stored, so nothing needs sending again as it was.
        if (error instanceof JetStreamApiError) this.#unanswered = undefined;
        throw error;
      });
    this.#unanswered = undefined;
    if (ack.duplicate) {
      // A re-send within the duplicate window. When the stream holds that batch, continue after the subject's last
      // one; when it lost it (a server restored from an older copy still remembering the id), wait and try again:
      // the id is forgotten once the window has passed.
      const held = await this.#options.fleet.jsm.streams.getMessage(EVIDENCE_STREAM, { seq: ack.seq });
      if (held?.header.get(EVIDENCE_HEADERS.msgId) !== evidenceMsgId(id))
        throw new FleetError(
          'nats_error',
          `the stream remembers batch ${evidenceMsgId(id)} as a duplicate but no longer holds it; retrying after its duplicate window`,
        );
      this.#position = undefined;
      return 'more';
    }
    if (fill) {
      // The subject's last batch is now this one; the log's position does not move.
      this.#position = { ...position, streamSeq: ack.seq };
      this.#fill = batch.last < fill.to ? { from: batch.last + 1, to: fill.to } : undefined;
      return 'more';
    }
    this.#position = { epoch: position.epoch, seq: batch.last, streamSeq: ack.seq };
    const cursor: ShipCursor = {
      daemon_id: this.#options.daemonId,
      epoch: position.epoch,
      seq: batch.last,
      hash: batch.lastHash,
      stream_seq: ack.seq,
    };
    if (!this.#acked || this.#acked.epoch !== cursor.epoch || this.#acked.seq <= cursor.seq)
      this.#acked = cursor;
    this.#failures = 0;
    this.#state = { ...this.#state, lastError: undefined };
    try {
      await writeShipCursor(this.#options.cursorFile, cursor);
    } catch (error) {
      // The stream, not the cursor, says where to continue: a cursor not written costs only the lost-ack check.
      this.#state = {
        ...this.#state,
        lastError: `the cursor file ${this.#options.cursorFile} cannot be written (${(error as Error).message})`,
      };
    }
    this.#settle(batch.last);
    this.#changed();
    const full =
      batch.last - batch.first + 1 >= this.#maxRecords ||
      batch.lines.reduce((bytes, line) => bytes + line.byteLength, 0) * 2 > EVIDENCE_BATCH_LIMITS.maxBytes;
    return full ? 'more' : 'partial';
  }

  #settle(shipped: number): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiting) {
      if (waiter.seq <= shipped) waiter.resolve();
      else this.#waiters.push(waiter);
    }
  }

  #waitShipped(seq: number): Promise<void> {
    if (this.#closed) return Promise.reject(new FleetError('nats_error', 'the evidence shipper is closed'));
    if (this.#position?.epoch !== undefined && this.#position.seq >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ seq, resolve, reject });
      this.#wakeUp();
    });
  }

  async #drain(timeoutMs: number): Promise<{ readonly unshipped: number }> {
    const target = this.#options.source.lastSeq();
    this.#failures = 0; // A drain retries now rather than after the backoff that was due.
    this.#wakeUp();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      target === 0 ? undefined : this.#waitShipped(target).catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return { unshipped: this.#snapshot().pending };
  }

  /** Reads the daemon's re-send key, then watches it; a request for the current epoch makes the next loop re-send. */
  async #watchResends(): Promise<void> {
    // By text, not KV revision: a bucket restored from an older copy numbers new requests with revisions seen before.
    let honoured: string | undefined;
    let failures = 0;
    while (!this.#closed) {
      try {
        const kv = await openEvidenceBucket(this.#options.fleet, 'resend');
        const iterator = await kv.watch({ key: this.#options.daemonId });
        this.#watch = iterator;
        if (this.#closed) iterator.stop();
        for await (const entry of iterator) {
          const text = entry.string();
          if (entry.operation !== 'PUT' || text === honoured) continue;
          honoured = text;
          const request = parseResend(text);
          failures = 0;
          if (request && request.epoch === (await this.#options.source.epoch())) {
            this.#resend = {
              from: request.from_seq,
              ...(request.to_seq !== undefined ? { to: request.to_seq } : {}),
            };
            this.#wakeUp();
          }
        }
      } catch (error) {
        // Said once per streak of failures (a missing bucket would otherwise fill the log).
        if (!this.#closed && failures === 0)
          this.#options.logger?.warn('fleet evidence: cannot watch re-send requests; retrying', {
            error: toFleetError(error).message,
          });
        failures++;
      }
      const wait = Math.min(BACKOFF_MAX_MS, 1_000 * 2 ** Math.min(failures, 4));
      if (!this.#closed) await new Promise((resolve) => setTimeout(resolve, wait).unref());
    }
  }

  /** A reconnect may be to servers that lost what they acknowledged: the next pass reconciles first. */
  async #watchReconnects(): Promise<void> {
    const nc = this.#options.fleet.nc;
    if (!nc) return;
    for await (const status of nc.status()) {
      if (this.#closed) break;
      if (status.type !== 'reconnect') continue;
      this.#reconnected = true;
      this.#wakeUp();
    }
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#watch?.stop();
    this.#wakeUp();
    await this.#running;
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(
        new FleetError('nats_error', 'the evidence shipper closed before the record was shipped'),
      );
  }
}

/** A failure of the daemon's log, not of NATS: `last_error` says so. */
class SourceFailure extends Error {}

async function fromSource<T>(reading: Promise<T>): Promise<T> {
  try {
    return await reading;
  } catch (error) {
    const { message, name } = error as Error;
    throw new SourceFailure(`the local evidence log could not be read: ${message || name}`, { cause: error });
  }
}

function parseResend(text: string): EvidenceResendRequest | undefined {
  try {
    const value = JSON.parse(text) as EvidenceResendRequest;
    const to = value.to_seq;
    return typeof value.epoch === 'string' &&
      Number.isSafeInteger(value.from_seq) &&
      value.from_seq >= 1 &&
      (to === undefined || (Number.isSafeInteger(to) && to >= value.from_seq))
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}
