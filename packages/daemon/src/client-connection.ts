import type { Socket } from 'node:net';
import type { ApprovalFrame } from './approval-frames.js';
import type { DaemonLimits } from './daemon-config.js';
import { FrameSplitter } from './frame-splitter.js';
import {
  type ClientRefusal,
  FrameError,
  type RequestFrame,
  type ResponseType,
  readFrameObject,
  responseLine,
  SerializedBody,
  toRequestFrame,
} from './protocol.js';
import { RecentRing } from './recent-entries.js';

type EvaluateFrame = Extract<RequestFrame, { kind: 'evaluate' }>;

/** Evaluate frames of a connection whose answers a refusal frame may still name; the oldest are forgotten beyond. */
const MAX_ANSWERED = 256;

/** The response type answering each approval frame. */
const APPROVAL_ANSWER_TYPES = {
  approval_list: 'approval_list',
  approval_show: 'approval',
  approval_review: 'approval',
  action_outcome: 'recorded',
} as const satisfies Record<ApprovalFrame['kind'], ResponseType>;

/** What a client's refusal is linked to: the decision's id and its record (the decision's last evidence ref). */
export interface AnsweredDecision {
  readonly decisionId: string;
  readonly ref: string;
}

/** Only the link is kept per answered frame, not the decision: memory stays small with many connections. */
function answeredDecision(answer: unknown): AnsweredDecision | undefined {
  const decision = answer instanceof SerializedBody ? answer.value : answer;
  const { decision_id: decisionId, evidence_refs: refs } = (decision ?? {}) as Record<string, unknown>;
  const ref = Array.isArray(refs) ? refs[refs.length - 1] : undefined;
  return typeof decisionId === 'string' && typeof ref === 'string' ? { decisionId, ref } : undefined;
}

/** What a connection needs from the daemon. */
export interface ConnectionHost {
  readonly limits: DaemonLimits;
  /** True once the daemon is shutting down: frames read after that are refused with `shutting_down`. */
  closing(): boolean;
  health(): unknown;
  /**
   * Decides one request: the DecisionResponse JSON. In the v1 form a request that cannot be decided is a FrameError
   * (every other failure is turned into one); in the bare form it is a `block` decision.
   */
  evaluate(frame: EvaluateFrame, id: string | null, bare: boolean): Promise<unknown>;
  /** The bare form's `block` decision for a frame refused before evaluation (`json`: the request, if read). */
  refuse(error: FrameError, json: unknown): Promise<unknown>;
  /**
   * Records that the client refused the answer `answered` (undefined when no decision was recorded for it, or it is
   * not known) and returns the refusal frame's body. A FrameError when there is nothing to link the refusal to.
   */
  refused(
    refusal: ClientRefusal,
    id: string,
    answered: Promise<AnsweredDecision | undefined> | undefined,
  ): Promise<unknown>;
  /** The body of the answer to an approval frame; a FrameError when it is refused. */
  approval(frame: ApprovalFrame): Promise<unknown>;
  /** Called for every error frame sent. */
  counted(error: FrameError): void;
  /** Registers a request in flight, so shutdown can wait for it. */
  track(task: Promise<void>): void;
}

/**
 * Serves one client connection with every bound of the protocol. Frames are at most `maxFrameBytes`; a frame must be
 * completed within `readTimeoutMs` of its first byte (a trickle of bytes does not extend it); a connection with
 * nothing in flight and nothing received for `idleTimeoutMs` is closed. Flow control instead of refusals: while
 * `maxInFlightPerConnection` requests are in flight, or while the client does not read its answers, the daemon stops
 * reading from the connection, so neither the frames waiting nor the answers unread can grow without bound.
 */
export function serveConnection(socket: Socket, host: ConnectionHost): void {
  const { limits } = host;
  const splitter = new FrameSplitter(limits.maxFrameBytes);
  const inFlight = new Set<string>();
  /** The v1 evaluate frames answered or in flight, by id: the decision each was answered with (undefined: none). */
  const answered = new RecentRing<Promise<AnsweredDecision | undefined>>(MAX_ANSWERED);
  const waiting: Buffer[] = [];
  /**
   * The form the client last used. A frame that cannot be read has no form of its own: it is answered as an error
   * frame once the client has spoken v1 on this connection, else (a bare client, or nothing read yet) with a
   * `block` decision, since a bare client reads every answer as a DecisionResponse.
   */
  let spokeV1 = false;
  let pending = 0;
  let clientEnded = false;
  /** Set when the framing can no longer be trusted or the client was too slow: nothing more is read. */
  let cut = false;
  let writeBlocked = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let readTimer: NodeJS.Timeout | undefined;

  const full = () => pending >= limits.maxInFlightPerConnection;
  const flow = () => {
    if (socket.destroyed) return;
    if (cut || writeBlocked || waiting.length > 0 || full()) socket.pause();
    else socket.resume();
  };
  /**
   * Answers sent in one turn of the event loop (a group of records made durable together resolves many at once) leave
   * in one write: the socket is corked at the first and uncorked once the turn's promise callbacks have run.
   */
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const send = (line: string) => {
    if (socket.destroyed || !socket.writable) return;
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    if (!socket.write(line) && !writeBlocked) {
      writeBlocked = true;
      socket.once('drain', () => {
        writeBlocked = false;
        flow();
      });
      flow();
    }
  };
  /** A v1 error frame; the bare form never gets one. */
  const sendError = (error: FrameError) => {
    host.counted(error);
    send(responseLine(error.id, 'error', error.toBody()));
  };
  /** Ends our side once the client has nothing more coming (it half-closed, or we cut it) and nothing is owed. */
  const settle = () => {
    if ((clientEnded || cut) && pending === 0 && waiting.length === 0 && socket.writable) socket.end();
  };
  const cutOff = (error: FrameError) => {
    if (cut) return;
    refuseUnread(error);
    cut = true;
    clearTimeout(readTimer);
    flow();
    settle();
  };
  const idle = () => {
    // Not idle while a request is in flight, or while a frame is arriving (the read timeout governs that).
    if (pending > 0 || (splitter.pendingBytes > 0 && !cut)) armIdle();
    else socket.destroy();
  };
  // Re-armed at every chunk read: refresh() restarts the same timer rather than making a new one each time.
  const armIdle = () => {
    if (idleTimer) idleTimer.refresh();
    else idleTimer = setTimeout(idle, limits.idleTimeoutMs);
  };
  const armRead = () => {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      // A frame we stopped reading ourselves (flow control) is not the client's delay.
      if (socket.isPaused() && !cut) armRead();
      else
        cutOff(new FrameError('read_timeout', null, `frame not completed within ${limits.readTimeoutMs} ms`));
    }, limits.readTimeoutMs);
  };

  /** Answers one request asynchronously, counted in flight until its answer is written. */
  const answer = (
    id: string | null,
    bare: boolean,
    produce: () => Promise<unknown>,
    type: ResponseType = 'decision',
  ) => {
    pending += 1;
    if (id !== null) inFlight.add(id);
    host.track(
      (async () => {
        try {
          send(responseLine(bare ? undefined : id, type, await produce()));
        } catch (error) {
          sendError(error as FrameError);
        } finally {
          pending -= 1;
          if (id !== null) inFlight.delete(id);
          while (waiting.length > 0 && !full()) start(waiting.shift() as Buffer);
          flow();
          settle();
        }
      })(),
    );
  };
  const refuseUnread = (error: FrameError) => {
    if (spokeV1) sendError(error);
    else answer(null, true, () => host.refuse(error, undefined));
  };

  const start = (bytes: Buffer) => {
    let object: Record<string, unknown>;
    try {
      object = readFrameObject(bytes);
    } catch (error) {
      refuseUnread(error as FrameError);
      return;
    }
    let frame: RequestFrame;
    try {
      frame = toRequestFrame(object);
    } catch (error) {
      spokeV1 = true; // only a v1 envelope can be refused here
      sendError(error as FrameError);
      return;
    }
    const bare = frame.kind === 'evaluate' && frame.id === undefined;
    spokeV1 = !bare;
    if (frame.kind === 'health') {
      send(responseLine(frame.id, 'health', host.health()));
      return;
    }
    if (frame.kind === 'refusal') {
      // Taken even while the daemon stops: a denial must be on record. It waits for the decision it names.
      const { id, refusal } = frame;
      if (inFlight.has(id)) {
        sendError(new FrameError('invalid_frame', id, 'id is already in flight on this connection'));
        return;
      }
      answer(id, false, () => host.refused(refusal, id, answered.get(refusal.evaluateId)), 'refusal');
      return;
    }
    if (frame.kind !== 'evaluate') {
      const { id } = frame;
      if (host.closing()) {
        sendError(
          new FrameError('shutting_down', id, 'the daemon is shutting down; the frame was not taken'),
        );
      } else if (inFlight.has(id)) {
        sendError(new FrameError('invalid_frame', id, 'id is already in flight on this connection'));
      } else {
        answer(id, false, () => host.approval(frame), APPROVAL_ANSWER_TYPES[frame.kind]);
      }
      return;
    }
    const request = frame;
    const id = request.id ?? null;
    if (host.closing()) {
      const error = new FrameError(
        'shutting_down',
        id,
        'the daemon is shutting down; the request was not decided',
      );
      if (bare) answer(null, true, () => host.refuse(error, request.request));
      else sendError(error);
      return;
    }
    if (id !== null && inFlight.has(id)) {
      sendError(new FrameError('invalid_frame', id, 'id is already in flight on this connection'));
      return;
    }
    if (bare || id === null) {
      answer(id, bare, () => host.evaluate(request, id, bare));
      return;
    }
    const decided = host.evaluate(request, id, bare);
    answered.set(
      id,
      decided.then(answeredDecision, () => undefined),
    );
    answer(id, bare, () => decided);
  };

  socket.on('data', (chunk: Buffer) => {
    if (cut) return;
    armIdle();
    const { frames, oversize } = splitter.push(chunk);
    for (const frame of frames) {
      if (waiting.length > 0 || full()) waiting.push(frame);
      else start(frame);
    }
    if (oversize) {
      cutOff(new FrameError('frame_too_large', null, `frame exceeds ${limits.maxFrameBytes} bytes`));
      return;
    }
    if (splitter.pendingBytes === 0) {
      clearTimeout(readTimer);
      readTimer = undefined;
    } else if (readTimer === undefined || chunk.includes(0x0a)) {
      armRead(); // a new frame began in this chunk
    }
    flow();
  });
  socket.on('end', () => {
    clientEnded = true;
    clearTimeout(readTimer);
    // The half-close ends the last frame: a request without its newline is still a request.
    const last = cut ? undefined : splitter.end();
    if (last) {
      if (waiting.length > 0 || full()) waiting.push(last);
      else start(last);
    }
    settle();
  });
  socket.on('error', () => {}); // a client that vanishes only ends its own connection
  socket.on('close', () => {
    clearTimeout(idleTimer);
    clearTimeout(readTimer);
  });
  armIdle();
}
