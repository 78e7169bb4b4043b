import { connect } from 'node:net';
import { DaemonClientError } from './daemon-client-error.js';
import { parseWireJson, WireJsonError } from './wire-json.js';

/** An exchange in progress: its answer, and how to give it up (timeout, abort). */
export interface OneShot {
  readonly answer: Promise<unknown>;
  cancel(): void;
}

/**
 * Upstream CAVRA's transport: connect, write one bare JSON request and a newline, half-close, read one JSON value
 * (up to its newline, or to the daemon's close), close. Nothing is retried: a request that was written may have
 * been decided. The answer is read strictly (`parseWireJson`) and bounded by `maxFrameBytes`.
 */
export function exchangeOnce(socketPath: string, line: string, maxFrameBytes: number): OneShot {
  const socket = connect(socketPath);
  const chunks: Buffer[] = [];
  let bytes = 0;
  const answer = new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => unknown) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      try {
        resolve(outcome());
      } catch (error) {
        reject(error);
      }
    };
    const fail = (error: DaemonClientError) =>
      finish(() => {
        throw error;
      });
    const parse = (frame: Buffer) => () => {
      try {
        return parseWireJson(frame);
      } catch (error) {
        if (!(error instanceof WireJsonError)) throw error;
        throw new DaemonClientError('protocol_error', `the daemon's answer is unreadable: ${error.message}`);
      }
    };
    socket.once('connect', () => socket.end(line));
    socket.on('data', (chunk: Buffer) => {
      const newline = chunk.indexOf(0x0a);
      const part = newline === -1 ? chunk : chunk.subarray(0, newline);
      bytes += part.length;
      if (bytes > maxFrameBytes) {
        fail(new DaemonClientError('protocol_error', `the daemon's answer exceeds ${maxFrameBytes} bytes`));
        return;
      }
      chunks.push(part);
      if (newline !== -1) finish(parse(Buffer.concat(chunks)));
    });
    socket.once('end', () => {
      if (bytes === 0) {
        fail(
          new DaemonClientError('daemon_unavailable', 'the daemon closed the connection before answering'),
        );
      } else {
        finish(parse(Buffer.concat(chunks)));
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      fail(
        new DaemonClientError(
          'daemon_unavailable',
          `cannot reach the CAVRA daemon at ${socketPath} (${error.code ?? 'error'})`,
        ),
      );
    });
    socket.once('close', () =>
      fail(new DaemonClientError('daemon_unavailable', 'the daemon closed the connection before answering')),
    );
  });
  answer.catch(() => undefined);
  return { answer, cancel: () => socket.destroy() };
}
