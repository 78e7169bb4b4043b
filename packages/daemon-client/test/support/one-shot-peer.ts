import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the peer does with one request: write an answer (or nothing) on the socket. */
export type OneShotBehaviour = (request: Record<string, unknown>, socket: Socket) => void;

const dirs = new Set<string>();

export async function removeOneShotDirs(): Promise<void> {
  await Promise.all([...dirs].map((dir) => rm(dir, { recursive: true, force: true })));
  dirs.clear();
}

/**
 * A real Unix-socket server speaking upstream CAVRA's transport with scripted answers: reads one JSON value (to its
 * newline or the half-close), hands it to the behaviour, and keeps what it read.
 */
export class OneShotPeer {
  readonly socketPath: string;
  readonly received: string[] = [];
  behaviour: OneShotBehaviour;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(behaviour: OneShotBehaviour) {
    const dir = mkdtempSync(join(tmpdir(), 'cavra-1shot-'));
    dirs.add(dir);
    this.socketPath = join(dir, 'cavra-runtime.sock');
    this.behaviour = behaviour;
  }

  async start(): Promise<this> {
    this.#server = createServer({ allowHalfOpen: true }, (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      let text = '';
      let done = false;
      const take = () => {
        if (done || text.trim() === '') return;
        done = true;
        this.received.push(text);
        this.behaviour(JSON.parse(text.split('\n')[0] as string), socket);
      };
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\n')) take();
      });
      socket.on('end', take);
    });
    await new Promise<void>((resolve) => this.#server?.listen(this.socketPath, resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** Writes `body` as upstream's daemon does (JSON and a newline) and closes. */
export const reply =
  (body: (request: Record<string, unknown>) => unknown): OneShotBehaviour =>
  (request, socket) =>
    socket.end(`${JSON.stringify(body(request))}\n`);
