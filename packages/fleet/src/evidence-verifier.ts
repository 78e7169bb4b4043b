import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
  type MsgRequest,
  type StoredMsg,
} from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Fleet } from './connect-fleet.js';
import { EVIDENCE_ALERT_SCHEMA, type EvidenceAlert, type EvidenceAlertProblem } from './evidence-alert.js';
import { type EvidenceMessage, type ReceivedEvidenceBatch, readEvidenceBatch } from './evidence-batch.js';
import {
  EVIDENCE_HEADERS,
  EVIDENCE_STREAM,
  EVIDENCE_VERIFIER_CONSUMER,
  type EvidenceHead,
  type EvidenceResendRequest,
  evidenceAlertSubject,
  evidenceSubject,
} from './evidence-names.js';
import {
  EVIDENCE_RECEIPT_SCHEMA,
  type ReceiptKey,
  receiptPrivateKey,
  signEvidenceReceipt,
} from './evidence-receipt.js';
import { checkEvidenceStream, openEvidenceBucket } from './evidence-streams.js';
import { toFleetError } from './nats-failure.js';

/** Where a chain check starts: after the record with this seq and hash. */
export interface EvidenceChainPosition {
  readonly seq: number;
  readonly hash: string;
}

/** A batch's lines for the chain check, and where the chain picks up (`from` undefined: the log's start). */
export interface EvidenceBatchToCheck {
  readonly daemonId: string;
  readonly epoch: string;
  readonly lines: readonly string[];
  readonly from: EvidenceChainPosition | undefined;
}

/** One problem of a chain check; `line` counts from 1 within the batch. */
export interface EvidenceChainProblem {
  readonly line: number;
  readonly problem: EvidenceAlertProblem;
  readonly message: string;
}

/** What the chain check found: its problems (none: the batch continues the chain) and the last record's hash. */
export interface EvidenceBatchCheck {
  readonly problems: readonly EvidenceChainProblem[];
  readonly lastHash: string;
}

/**
 * The chain check of a batch: the daemon's own (`cavra-daemon evidence verifier` gives the same verification as
 * `cavra-daemon evidence verify`: hash, previous hash, seq + 1, the HMAC when it holds the key).
 */
export type CheckEvidenceBatch = (
  batch: EvidenceBatchToCheck,
) => EvidenceBatchCheck | Promise<EvidenceBatchCheck>;

/** What the verifier did with a batch message, before it is acknowledged. */
export type EvidenceVerifierEvent =
  | {
      /** The batch continued the chain: the head and the receipt now name its last record. */
      readonly type: 'verified' | 'duplicate';
      readonly daemon_id: string;
      readonly epoch: string;
      readonly first_seq: number;
      readonly last_seq: number;
      readonly stream_seq: number;
      /** Read from the stream for a later batch's gap, not delivered by the consumer (it was late, or never came). */
      readonly from_stream?: true;
    }
  | {
      /** Records before the batch are missing: it is kept (redelivered later) until they arrive. */
      readonly type: 'waiting';
      readonly daemon_id: string;
      readonly epoch: string;
      readonly first_seq: number;
      readonly last_seq: number;
      readonly stream_seq: number;
      readonly head_seq: number;
    }
  | { readonly type: 'alert'; readonly alert: EvidenceAlert }
  | {
      /** NATS failed while the verifier handled a message: it is redelivered. */
      readonly type: 'error';
      readonly message: string;
    };

/** Options of {@link startEvidenceVerifier}. */
export interface EvidenceVerifierOptions {
  /** A connection whose user may consume `CAVRA_EVIDENCE` and write the evidence buckets and alerts. */
  readonly fleet: Pick<Fleet, 'js' | 'jsm' | 'kvm'>;
  /** The Ed25519 private key that signs receipts. */
  readonly receiptKey: ReceiptKey;
  readonly checkBatch: CheckEvidenceBatch;
  /** Handle what the stream holds, then stop (for tests and cron); without it, run until stop(). */
  readonly once?: boolean;
  /** How long a delivered batch may go unacknowledged before the server delivers it again (default 30 s). */
  readonly ackWaitMs?: number;
  /** Called (and awaited) for each outcome, before the message is acknowledged. */
  readonly onEvent?: (event: EvidenceVerifierEvent) => void | Promise<void>;
}

/** What a verifier did since it started. */
export interface EvidenceVerifierCounts {
  readonly verifiedBatches: number;
  readonly verifiedRecords: number;
  readonly duplicates: number;
  readonly alerts: number;
  readonly waiting: number;
  readonly errors: number;
}

export interface EvidenceVerifierHandle {
  /** Settles when the verifier stops: after stop(), or with `once` when the stream is handled; rejects if it fails. */
  readonly done: Promise<EvidenceVerifierCounts>;
  counts(): EvidenceVerifierCounts;
  /** Stops after the message in hand (the rest is delivered again to the next verifier). */
  stop(): Promise<EvidenceVerifierCounts>;
}

/** Deliveries of a batch that follows missing records before it is an alert (redeliveries may come out of order). */
const GAP_PATIENCE = 3;
const GAP_RETRY_MS = 1_000;
const GAP_WAIT_MS = 2_000;
/** A standing re-send request is put again after this long: longer than the stream's 2 min duplicate window. */
const RESEND_REPEAT_MS = 150_000;
/** Problems named per batch: one is enough to refuse it, a few help whoever reads the alerts. */
const MAX_ALERTS_PER_BATCH = 5;
const FETCH: Readonly<{ max_messages: number; expires: number }> = { max_messages: 256, expires: 2_000 };
/** With `once`: fetches without an outcome before it stops waiting for batches that may still come back. */
const ONCE_REDELIVERY_FETCHES = 5;
const NANOS_PER_MS = 1_000_000;

/**
 * What the verifier uses of a message: one the consumer delivered (a JsMsg), or a batch it read from the stream
 * itself (`stored`: nothing to acknowledge; the consumer may still deliver it, then it is a duplicate).
 */
type Delivered = EvidenceMessage & {
  readonly info: { readonly deliveryCount: number };
  readonly stored?: true;
  nak(delayMs?: number): void;
  ackAck(): Promise<boolean>;
};

function storedBatch(message: StoredMsg): Delivered {
  return {
    subject: message.subject,
    seq: message.seq,
    data: message.data,
    headers: message.header,
    info: { deliveryCount: 1 },
    stored: true,
    nak: () => {},
    ackAck: async () => true,
  };
}

/** The head was written by another verifier meanwhile: the message is handled again from the new head. */
class HeadMoved extends Error {}

/**
 * The central evidence verifier: consumes `CAVRA_EVIDENCE` with the durable pull consumer `cavra_evidence_verifier`
 * and checks each daemon's batches, in order, from the head stored in KV `cavra_evidence_heads` (compare-and-set on
 * its revision). A batch that continues the chain moves the head and gets a signed receipt (KV
 * `cavra_evidence_receipts`). A batch already verified (a redelivery, a re-send) is acknowledged and skipped once its
 * lines hash to what was verified. A batch after missing records waits (it is delivered again) and, if the records
 * do not come, raises a `sequence_gap` alert and a re-send request (KV `cavra_evidence_resend`). Any other problem is
 * an alert on `cavra.evidence_alerts.<daemon_id>`, and a re-send request when the shipper can repair it. Nothing is
 * acknowledged before its outcome is stored, so a verifier stopped at any point loses nothing.
 */
export async function startEvidenceVerifier(
  options: EvidenceVerifierOptions,
): Promise<EvidenceVerifierHandle> {
  const signingKey = receiptPrivateKey(options.receiptKey);
  const { fleet } = options;
  await checkEvidenceStream(fleet, EVIDENCE_STREAM);
  const [heads, receipts, resend] = await Promise.all([
    openEvidenceBucket(fleet, 'heads'),
    openEvidenceBucket(fleet, 'receipts'),
    openEvidenceBucket(fleet, 'resend'),
  ]);
  await ensureConsumer(fleet, options.ackWaitMs ?? 30_000);
  const verifier = new Verifier({ ...options, receiptKey: signingKey }, heads, receipts, resend);
  const done = verifier.run();
  return {
    done,
    counts: () => verifier.counts(),
    stop: () => {
      verifier.stop();
      return done;
    },
  };
}

async function ensureConsumer(fleet: Pick<Fleet, 'jsm'>, ackWaitMs: number): Promise<void> {
  const ackWait = ackWaitMs * NANOS_PER_MS;
  try {
    const info = await fleet.jsm.consumers
      .info(EVIDENCE_STREAM, EVIDENCE_VERIFIER_CONSUMER)
      .catch((error) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)
          return undefined;
        throw error;
      });
    if (info === undefined) {
      await fleet.jsm.consumers.add(EVIDENCE_STREAM, {
        durable_name: EVIDENCE_VERIFIER_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: ackWait,
        max_ack_pending: 1_000,
      });
    } else if (info.config.ack_wait !== ackWait) {
      await fleet.jsm.consumers.update(EVIDENCE_STREAM, EVIDENCE_VERIFIER_CONSUMER, { ack_wait: ackWait });
    }
  } catch (error) {
    throw toFleetError(error);
  }
}

interface DaemonState {
  /** The last batch at or below the head that was checked again: the next re-sent one must link to it. */
  replay?: EvidenceChainPosition & { readonly epoch: string };
  /** Whether a re-send request of this verifier's may stand in KV (undefined: not looked yet). */
  resendPending?: boolean;
}

class Verifier {
  readonly #options: EvidenceVerifierOptions;
  readonly #heads: KV;
  readonly #receipts: KV;
  readonly #resend: KV;
  readonly #daemons = new Map<string, DaemonState>();
  /**
   * Batches after missing records, by stream seq: whether their gap was named (an alert and a re-send request) and
   * whether their daemon's head moved since.
   */
  readonly #waiting = new Map<
    number,
    { readonly daemonId: string; readonly named: boolean; progressed: boolean }
  >();
  #stopping = false;
  /** Messages acknowledged so far: a fetch that acknowledged none only met batches still waiting. */
  #acks = 0;
  #fetching: ConsumerMessages | undefined;
  #counts = { verifiedBatches: 0, verifiedRecords: 0, duplicates: 0, alerts: 0, waiting: 0, errors: 0 };

  constructor(options: EvidenceVerifierOptions, heads: KV, receipts: KV, resend: KV) {
    this.#options = options;
    this.#heads = heads;
    this.#receipts = receipts;
    this.#resend = resend;
  }

  counts(): EvidenceVerifierCounts {
    return { ...this.#counts };
  }

  stop(): void {
    this.#stopping = true;
    void this.#fetching?.close();
  }

  async run(): Promise<EvidenceVerifierCounts> {
    const { js } = this.#options.fleet;
    const consumer = await js.consumers.get(EVIDENCE_STREAM, EVIDENCE_VERIFIER_CONSUMER);
    let backoff = 0;
    let idle = 0;
    while (!this.#stopping) {
      let failed = false;
      const acksBefore = this.#acks;
      try {
        const fetch = this.#options.once ? await this.#onceFetch(consumer, idle) : FETCH;
        if (fetch === undefined) break;
        this.#fetching = await consumer.fetch(fetch);
        failed = !(await this.#handleByDaemon(this.#fetching));
      } catch (error) {
        if (this.#options.once) throw toFleetError(error);
        failed = true;
        await this.#emit({ type: 'error', message: toFleetError(error).message });
      }
      if (failed) {
        // At most 2 s: one verifier's retries cost NATS little, and after an outage it should be back within the
        // backlog's first seconds (with 10 s it verified almost nothing while 20 daemons drained theirs).
        backoff = Math.min(backoff * 2 || 250, 2_000);
        await new Promise((wait) => setTimeout(wait, backoff * (0.5 + Math.random() / 2)));
        continue;
      }
      backoff = 0;
      // Batches still waiting come back every GAP_WAIT_MS: fetching only those is idle too.
      idle = this.#acks > acksBefore ? 0 : idle + 1;
    }
    return this.counts();
  }

  /**
   * With `once`, the next fetch: as many messages as can still change something, so that it returns when they came
   * rather than at its expiry; undefined when the stream is handled. Those are the messages pending, the ones another
   * verifier left unacknowledged, and the waiting batches that come back after their delay: one whose gap is not
   * named yet (within its patience, or its missing records are in the stream) and one whose missing records came
   * meanwhile (it may now go through).
   */
  async #onceFetch(consumer: Consumer, idle: number): Promise<typeof FETCH | undefined> {
    const info = await consumer.info().catch((error) => {
      throw toFleetError(error);
    });
    const waiting = [...this.#waiting.values()];
    const returning =
      Math.max(0, info.num_ack_pending - waiting.length) +
      waiting.filter((batch) => !batch.named || batch.progressed).length;
    if (info.num_pending === 0 && (returning === 0 || idle > ONCE_REDELIVERY_FETCHES)) return undefined;
    return { ...FETCH, max_messages: Math.min(info.num_pending + returning, FETCH.max_messages) };
  }

  /**
   * Handles a fetch's messages: each daemon's in stream order, different daemons' side by side (each batch waits on
   * KV round trips; one at a time, the verifier would fall behind a fleet). After a failure (or a stop) the rest of
   * that daemon's messages go back, in order, for the next attempt. False when one failed (a stop is no failure).
   */
  async #handleByDaemon(messages: ConsumerMessages): Promise<boolean> {
    const daemons = new Map<string, Promise<boolean>>();
    for await (const message of messages) {
      const previous = daemons.get(message.subject) ?? Promise.resolve(true);
      daemons.set(
        message.subject,
        previous.then((handled) => {
          if (handled && !this.#stopping) return this.#handle(message);
          message.nak();
          return handled;
        }),
      );
    }
    return (await Promise.all(daemons.values())).every(Boolean);
  }

  /** Handles one message; false when NATS failed meanwhile (it is then handed back). */
  async #handle(message: JsMsg): Promise<boolean> {
    this.#waiting.delete(message.seq); // #gap puts it back when it still waits
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#decide(message);
        return true;
      } catch (error) {
        if (error instanceof HeadMoved && attempt < 5) continue;
        this.#counts.errors += 1;
        message.nak(GAP_RETRY_MS);
        await this.#emit({ type: 'error', message: toFleetError(error).message });
        return false;
      }
    }
  }

  async #decide(message: Delivered): Promise<void> {
    const batch = readEvidenceBatch(message);
    if ('problem' in batch) {
      const head = await this.#readHead(batch.daemonId);
      await this.#alert(
        batch.daemonId,
        batch.epoch || head.value?.epoch || '',
        batch.firstSeq,
        batch.streamSeq,
        [{ line: 1, problem: batch.problem, message: batch.message }],
      );
      // The real shipper's next publish on that subject conflicts; the request makes it re-send what is not verified.
      if (head.value)
        await this.#requestResend(batch.daemonId, head.value.epoch, head.value.seq + 1, batch.problem);
      return this.#ack(message);
    }
    const { value: head, revision } = await this.#readHead(batch.daemonId);
    if (head === undefined || head.epoch !== batch.epoch) {
      if (head !== undefined && batch.streamSeq <= head.stream_seq) {
        // A batch of the log before the current one, handled before that log started: delivered again.
        return this.#outcome(message, 'duplicate', batch);
      }
      if (batch.firstSeq !== 1) return this.#gap(message, batch, head, 1);
      if (head !== undefined) {
        await this.#alert(batch.daemonId, batch.epoch, 1, batch.streamSeq, [
          {
            line: 1,
            problem: 'new_epoch',
            message: `the daemon started a new log (epoch ${batch.epoch}) after seq ${head.seq} of epoch ${head.epoch}`,
          },
        ]);
      }
      return this.#extend(message, batch, undefined, revision);
    }
    if (batch.firstSeq === head.seq + 1) return this.#extend(message, batch, head, revision);
    if (batch.firstSeq > head.seq + 1) return this.#gap(message, batch, head, head.seq + 1);
    return this.#again(message, batch, head, revision);
  }

  /** A batch that continues the chain after `head` (the log's start without one). */
  async #extend(
    message: Delivered,
    batch: ReceivedEvidenceBatch,
    head: EvidenceHead | undefined,
    revision: number | undefined,
  ): Promise<void> {
    const from = head && { seq: head.seq, hash: head.hash };
    const check = await this.#options.checkBatch({
      daemonId: batch.daemonId,
      epoch: batch.epoch,
      lines: batch.lines,
      from,
    });
    if (check.problems.length > 0) {
      await this.#alert(batch.daemonId, batch.epoch, batch.firstSeq, batch.streamSeq, check.problems);
      await this.#requestResend(
        batch.daemonId,
        batch.epoch,
        (from?.seq ?? 0) + 1,
        check.problems[0]?.problem ?? 'bad_batch',
      );
      return this.#ack(message);
    }
    await this.#advance(batch, check.lastHash, revision);
    return this.#outcome(message, 'verified', batch);
  }

  /**
   * A batch starting at or before the head: delivered again (a verifier stopped before its ack), or re-sent by a
   * shipper repairing a stream that lost batches. Its lines must verify among themselves, link to the re-sent batch
   * before them, and hash to the head where they reach it: else the log was rewritten after it was verified. What
   * it holds past the head extends the chain.
   */
  async #again(
    message: Delivered,
    batch: ReceivedEvidenceBatch,
    head: EvidenceHead,
    revision: number | undefined,
  ) {
    const first = batch.records[0];
    const state = this.#state(batch.daemonId);
    const from =
      batch.firstSeq === 1 || first === undefined ? undefined : { seq: batch.firstSeq - 1, hash: first.prev };
    const check = await this.#options.checkBatch({
      daemonId: batch.daemonId,
      epoch: batch.epoch,
      lines: batch.lines,
      from,
    });
    const problems = [...check.problems];
    const replay = state.replay;
    if (replay?.epoch === batch.epoch && replay.seq === batch.firstSeq - 1 && first?.prev !== replay.hash)
      problems.push({
        line: 1,
        problem: 'rewritten_record',
        message: `record ${batch.firstSeq} does not link to record ${replay.seq} as re-sent before it`,
      });
    const atHead = batch.records[head.seq - batch.firstSeq];
    if (batch.lastSeq >= head.seq && atHead?.hash !== head.hash)
      problems.push({
        line: head.seq - batch.firstSeq + 1,
        problem: 'rewritten_record',
        message: `record ${head.seq} does not have the hash verified before (${head.hash})`,
      });
    if (problems.length > 0) {
      await this.#alert(batch.daemonId, batch.epoch, batch.firstSeq, batch.streamSeq, problems);
      if (batch.lastSeq > head.seq)
        await this.#requestResend(
          batch.daemonId,
          batch.epoch,
          head.seq + 1,
          problems[0]?.problem ?? 'bad_batch',
        );
      return this.#ack(message);
    }
    if (batch.lastSeq > head.seq) {
      state.replay = undefined;
      await this.#advance(batch, check.lastHash, revision);
      return this.#outcome(message, 'verified', batch);
    }
    state.replay = { epoch: batch.epoch, seq: batch.lastSeq, hash: check.lastHash };
    // The receipt of the head may not have been written when the verifier stopped between the two.
    if (batch.lastSeq === head.seq) await this.#writeReceipt(batch.daemonId, head);
    return this.#outcome(message, 'duplicate', batch);
  }

  /**
   * A batch after missing records: delivered again while they may still come. Past the patience, the stream is
   * looked at: records stored before this batch are verified from it (the consumer delivers them late, or never, when
   * it was restored ahead of its stream), and this batch follows at its next delivery; records not stored are named
   * and asked for.
   */
  async #gap(
    message: Delivered,
    batch: ReceivedEvidenceBatch,
    head: EvidenceHead | undefined,
    fromSeq: number,
  ) {
    // A batch read from the stream for another's gap, itself after a gap: that other batch names it.
    if (message.stored) return;
    const headSeq = head?.epoch === batch.epoch ? head.seq : 0;
    const patient = message.info.deliveryCount < GAP_PATIENCE;
    let named = false;
    if (!patient) {
      const stored = await this.#stored(batch, fromSeq, head);
      if (stored) await this.#decide(storedBatch(stored));
      else named = true;
    }
    if (named) {
      const asked = await this.#requestResend(
        batch.daemonId,
        batch.epoch,
        fromSeq,
        'sequence_gap',
        batch.firstSeq - 1,
      );
      if (asked)
        await this.#alert(batch.daemonId, batch.epoch, fromSeq, batch.streamSeq, [
          {
            line: 1,
            problem: 'sequence_gap',
            message: `records ${fromSeq}-${batch.firstSeq - 1} are missing before the batch of ${batch.firstSeq}-${batch.lastSeq}`,
          },
        ]);
    }
    this.#counts.waiting += 1;
    this.#waiting.set(message.seq, { daemonId: batch.daemonId, named, progressed: false });
    await this.#emit({ type: 'waiting', ...eventOf(batch), head_seq: headSeq });
    // Kept, not acknowledged: once the missing records are verified, this batch extends the chain.
    message.nak(patient ? GAP_RETRY_MS : GAP_WAIT_MS);
  }

  /**
   * The batch of the same log holding record `fromSeq` that the stream holds on the batch's subject before `batch`,
   * looked for after the head's message. A head whose message is not there (the stream restored from an older copy
   * than the heads) says nothing of where the daemon's batches are: then from the stream's start.
   */
  async #stored(
    batch: ReceivedEvidenceBatch,
    fromSeq: number,
    head: EvidenceHead | undefined,
  ): Promise<StoredMsg | undefined> {
    const subject = evidenceSubject(batch.daemonId);
    const { jsm } = this.#options.fleet;
    let after = 0;
    if (head?.epoch === batch.epoch && head.stream_seq < batch.streamSeq) {
      const at = await jsm.streams.getMessage(EVIDENCE_STREAM, { seq: head.stream_seq });
      const last = Number(at?.header.get(EVIDENCE_HEADERS.lastSeq));
      if (
        at?.subject === subject &&
        at.header.get(EVIDENCE_HEADERS.epoch) === head.epoch &&
        last === head.seq
      )
        after = head.stream_seq;
    }
    for (let seq = after + 1; seq < batch.streamSeq; ) {
      // The server (2.9 too) answers the first message on the subject at or after seq; the client's type lacks it.
      const query = { seq, next_by_subj: subject } as unknown as MsgRequest;
      const found = await jsm.streams.getMessage(EVIDENCE_STREAM, query);
      if (!found || found.seq >= batch.streamSeq) return undefined;
      const first = Number(found.header.get(EVIDENCE_HEADERS.firstSeq));
      const last = Number(found.header.get(EVIDENCE_HEADERS.lastSeq));
      if (found.header.get(EVIDENCE_HEADERS.epoch) === batch.epoch && first <= fromSeq && fromSeq <= last)
        return found;
      seq = found.seq + 1;
    }
    return undefined;
  }

  async #advance(
    batch: ReceivedEvidenceBatch,
    lastHash: string,
    revision: number | undefined,
  ): Promise<void> {
    const head: EvidenceHead = {
      epoch: batch.epoch,
      seq: batch.lastSeq,
      hash: lastHash,
      stream_seq: batch.streamSeq,
      verified_at: new Date().toISOString(),
    };
    const value = JSON.stringify(head);
    try {
      if (revision === undefined) await this.#heads.create(batch.daemonId, value);
      else await this.#heads.update(batch.daemonId, value, revision);
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence)
        throw new HeadMoved();
      throw error;
    }
    await this.#writeReceipt(batch.daemonId, head);
    await this.#clearResend(batch.daemonId, head);
    for (const waiting of this.#waiting.values())
      if (waiting.daemonId === batch.daemonId) waiting.progressed = true;
  }

  async #writeReceipt(daemonId: string, head: EvidenceHead): Promise<void> {
    const receipt = await signEvidenceReceipt(
      { schema: EVIDENCE_RECEIPT_SCHEMA, daemon_id: daemonId, ...head },
      this.#options.receiptKey,
    );
    await this.#receipts.put(daemonId, receipt);
  }

  async #readHead(daemonId: string): Promise<{ value?: EvidenceHead; revision?: number }> {
    const entry = await this.#heads.get(daemonId);
    if (entry === null) return {};
    if (entry.operation !== 'PUT') return { revision: entry.revision };
    return { value: entry.json<EvidenceHead>(), revision: entry.revision };
  }

  /** Puts a re-send request unless the same one stands; true when it was put. */
  /** Asks the daemon's shipper for its records from `fromSeq` (through `toSeq` when the stream holds what follows). */
  async #requestResend(
    daemonId: string,
    epoch: string,
    fromSeq: number,
    reason: string,
    toSeq?: number,
  ): Promise<boolean> {
    const entry = await this.#resend.get(daemonId);
    if (entry?.operation === 'PUT') {
      const standing = entry.json<EvidenceResendRequest>();
      // The same request again only once a re-send can no longer be dropped as a duplicate of the batch it re-sends.
      if (
        standing.epoch === epoch &&
        standing.from_seq === fromSeq &&
        standing.to_seq === toSeq &&
        Date.now() - Date.parse(standing.at) < RESEND_REPEAT_MS
      )
        return false;
    }
    const request: EvidenceResendRequest = {
      epoch,
      from_seq: fromSeq,
      ...(toSeq !== undefined ? { to_seq: toSeq } : {}),
      reason,
      at: new Date().toISOString(),
    };
    await this.#resend.put(daemonId, JSON.stringify(request));
    this.#state(daemonId).resendPending = true;
    return true;
  }

  /** Removes a re-send request the head now covers (a shipper re-sending verified records only costs duplicates). */
  async #clearResend(daemonId: string, head: EvidenceHead): Promise<void> {
    const state = this.#state(daemonId);
    if (state.resendPending === false) return;
    const entry = await this.#resend.get(daemonId);
    const standing = entry?.operation === 'PUT' ? entry.json<EvidenceResendRequest>() : undefined;
    // A request of another epoch is void once the daemon's head moved to this one.
    if (standing && standing.epoch === head.epoch && standing.from_seq > head.seq) {
      state.resendPending = true;
      return;
    }
    if (standing) await this.#resend.delete(daemonId);
    state.resendPending = false;
  }

  async #alert(
    daemonId: string,
    epoch: string,
    firstSeq: number,
    streamSeq: number,
    problems: readonly EvidenceChainProblem[],
  ): Promise<void> {
    for (const problem of problems.slice(0, MAX_ALERTS_PER_BATCH)) {
      const seq = firstSeq + problem.line - 1;
      const alert: EvidenceAlert = {
        schema: EVIDENCE_ALERT_SCHEMA,
        daemon_id: daemonId,
        epoch,
        seq,
        problem: problem.problem,
        message: problem.message,
        at: new Date().toISOString(),
      };
      // The same batch handled again (a verifier stopped before its ack) raises the same alerts once.
      await this.#options.fleet.js.publish(evidenceAlertSubject(daemonId), JSON.stringify(alert), {
        msgID: `${daemonId}:${streamSeq}:${seq}:${problem.problem}`,
      });
      this.#counts.alerts += 1;
      await this.#emit({ type: 'alert', alert });
    }
  }

  async #outcome(
    message: Delivered,
    type: 'verified' | 'duplicate',
    batch: ReceivedEvidenceBatch,
  ): Promise<void> {
    if (type === 'verified') {
      this.#counts.verifiedBatches += 1;
      this.#counts.verifiedRecords += batch.lastSeq - batch.firstSeq + 1;
    } else {
      this.#counts.duplicates += 1;
    }
    await this.#emit({ type, ...eventOf(batch), ...(message.stored ? { from_stream: true as const } : {}) });
    return this.#ack(message);
  }

  async #ack(message: Delivered): Promise<void> {
    // Acknowledged once the outcome is stored; a lost ack only means the batch is handled again, idempotently.
    this.#acks += 1;
    await message.ackAck().catch(() => false);
  }

  async #emit(event: EvidenceVerifierEvent): Promise<void> {
    await this.#options.onEvent?.(event);
  }

  #state(daemonId: string): DaemonState {
    let state = this.#daemons.get(daemonId);
    if (!state) {
      state = {};
      this.#daemons.set(daemonId, state);
    }
    return state;
  }
}

function eventOf(batch: ReceivedEvidenceBatch) {
  return {
    daemon_id: batch.daemonId,
    epoch: batch.epoch,
    first_seq: batch.firstSeq,
    last_seq: batch.lastSeq,
    stream_seq: batch.streamSeq,
  };
}
