import type { Socket } from 'node:net';
import type { DaemonLimits } from './daemon-config.js';
import { FrameSplitter } from './frame-splitter.js';
import { FrameError, parseFrame, type RequestFrame, responseLine } from './protocol.js';

type EvaluateFrame = Extract<RequestFrame, { kind: 'evaluate' }>;

/** What a connection needs from the daemon. */
export interface ConnectionHost {
  readonly limits: DaemonLimits;
  /** True once the daemon is shutting down: frames read after that are refused with `shutting_down`. */
  closing(): boolean;
  health(): unknown;
  /** Decides one request: the DecisionResponse JSON, or a FrameError (every other failure is turned into one). */
  evaluate(frame: EvaluateFrame, id: string | null): Promise<unknown>;
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
  const waiting: string[] = [];
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
  const send = (line: string) => {
    if (socket.destroyed || !socket.writable) return;
    if (!socket.write(line) && !writeBlocked) {
      writeBlocked = true;
      socket.once('drain', () => {
        writeBlocked = false;
        flow();
      });
      flow();
    }
  };
  const sendError = (error: FrameError, compat: boolean) => {
    host.counted(error);
    send(responseLine(compat ? undefined : error.id, 'error', error.toBody()));
  };
  /** Ends our side once the client has nothing more coming (it half-closed, or we cut it) and nothing is owed. */
  const settle = () => {
    if ((clientEnded || cut) && pending === 0 && waiting.length === 0 && socket.writable) socket.end();
  };
  const cutOff = (error: FrameError) => {
    if (cut) return;
    sendError(error, false);
    cut = true;
    clearTimeout(readTimer);
    flow();
    settle();
  };
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      // Not idle while a request is in flight, or while a frame is arriving (the read timeout governs that).
      if (pending > 0 || (splitter.pendingBytes > 0 && !cut)) armIdle();
      else socket.destroy();
    }, limits.idleTimeoutMs);
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

  const start = (text: string) => {
    let frame: RequestFrame;
    try {
      frame = parseFrame(text);
    } catch (error) {
      sendError(error as FrameError, false);
      return;
    }
    if (frame.kind === 'health') {
      send(responseLine(frame.id, 'health', host.health()));
      return;
    }
    const request = frame;
    const compat = request.id === undefined;
    const id = request.id ?? null;
    if (host.closing()) {
      sendError(
        new FrameError('shutting_down', id, 'the daemon is shutting down; the request was not decided'),
        compat,
      );
      return;
    }
    if (id !== null && inFlight.has(id)) {
      sendError(new FrameError('invalid_frame', id, 'id is already in flight on this connection'), compat);
      return;
    }
    pending += 1;
    if (id !== null) inFlight.add(id);
    host.track(
      (async () => {
        try {
          send(responseLine(compat ? undefined : id, 'decision', await host.evaluate(request, id)));
        } catch (error) {
          sendError(error as FrameError, compat);
        } finally {
          pending -= 1;
          if (id !== null) inFlight.delete(id);
          while (waiting.length > 0 && !full()) start(waiting.shift() as string);
          flow();
          settle();
        }
      })(),
    );
  };

  socket.on('data', (chunk: Buffer) => {
    if (cut) return;
    armIdle();
    const { frames, oversize } = splitter.push(chunk);
    for (const text of frames) {
      if (waiting.length > 0 || full()) waiting.push(text);
      else start(text);
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
    if (splitter.pendingBytes > 0 && !cut) {
      sendError(
        new FrameError(
          'invalid_frame',
          null,
          'the connection was half-closed mid-frame: a frame ends with a newline',
        ),
        false,
      );
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
