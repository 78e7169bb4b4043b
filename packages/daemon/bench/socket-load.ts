// Closed-loop load over a Unix socket: each client sends one line, waits for the answer line, and sends the next.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

export type ConnectionMode = 'one-shot' | 'persistent';

export interface LoadResult {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

export async function waitForSocket(socketPath: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await probe(socketPath)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing listening on ${socketPath}`);
}

function probe(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** One request on a connection opened for it, ended by a half-close; resolves with the answer. */
export function oneShot(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(socketPath, () => socket.end(line));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

interface Persistent {
  send(line: string): Promise<void>;
  close(): void;
}

function persistent(socketPath: string): Promise<Persistent> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let waiting: (() => void) | undefined;
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
        buffer = buffer.slice(i + 1);
        const done = waiting;
        waiting = undefined;
        done?.();
      }
    });
    socket.on('error', reject);
    socket.on('connect', () =>
      resolve({
        send: (line) =>
          new Promise<void>((done) => {
            waiting = done;
            socket.write(line);
          }),
        close: () => socket.destroy(),
      }),
    );
  });
}

/** Runs `clients` closed-loop clients for `seconds`; `line(n)` gives the n-th request line of the run. */
export async function runLoad(
  socketPath: string,
  clients: number,
  mode: ConnectionMode,
  seconds: number,
  line: (n: number) => string,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let n = 0;
  const connections =
    mode === 'persistent'
      ? await Promise.all(Array.from({ length: clients }, () => persistent(socketPath)))
      : [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      const connection = connections[client];
      while (performance.now() < deadline) {
        const text = line(n++);
        const start = performance.now();
        await (connection ? connection.send(text) : oneShot(socketPath, text));
        latencies.push(performance.now() - start);
      }
    }),
  );
  for (const connection of connections) connection.close();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

/** The q-quantile of ascending values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}
