import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { durableWrite, replaceFile, SYNCED_WRITES } from './durable-write.js';
import { openOwnFile } from './own-file.js';

/** Lines appended between two compactions while the daemon runs (it compacts at start and when it closes too). */
const COMPACT_EVERY = 10_000;

/** A replay key as `@cavra/auth` makes them (base64url), bounded. */
const KEY = /^[A-Za-z0-9_-]{1,128}$/;

export function replayJournalPath(logPath: string): string {
  return `${logPath}.replay`;
}

/**
 * `<log>.replay`: every HMAC signature the daemon accepted and until when it could be replayed, one JSON line each,
 * written durably before the decision is recorded and answered. The evidence log holds the same, but a cut or
 * deleted log would forget them: this file keeps replay protection apart from it. Owner-only (0600, no link
 * followed), bounded by the replay window: at start and at close, and every COMPACT_EVERY lines, it is replaced
 * atomically by its entries still live.
 */
export class ReplayJournal {
  readonly path: string;
  #file: FileHandle;
  readonly #live: Map<string, number>;
  readonly #now: () => number;
  #appended = 0;
  /** Bytes of acknowledged entries in the file; a failed write is cut back to it. */
  #size: number;
  /** Set when a failed write could not be cut back: nothing more is appended to a file that may end mid-line. */
  #broken: unknown;
  #waiting: { line: string; key: string; until: number; resolve(): void; reject(error: unknown): void }[] =
    [];
  #flushing: Promise<void> | undefined;

  private constructor(
    path: string,
    written: { readonly file: FileHandle; readonly size: number },
    live: Map<string, number>,
    now: () => number,
  ) {
    this.path = path;
    this.#file = written.file;
    this.#size = written.size;
    this.#live = live;
    this.#now = now;
  }

  /**
   * Reads the journal of `logPath` (none yet: empty), hands every entry still live to `restore`, compacts it and
   * opens it for appends. A line that is not an entry refuses the start: replay protection is never dropped
   * silently. A last line without its newline (a crash mid-write, never acknowledged) is ignored.
   */
  static async open(
    logPath: string,
    options: { readonly now: () => number; readonly restore: (key: string, until: number) => void },
  ): Promise<ReplayJournal> {
    const path = replayJournalPath(logPath);
    const live = new Map<string, number>();
    const lines = (await readIfPresent(path)).split('\n').slice(0, -1);
    const now = options.now();
    for (const [index, line] of lines.entries()) {
      const entry = parseEntry(line);
      if (!entry) {
        throw new Error(
          `replay state ${path}: line ${index + 1} is not a replay entry; refusing to start without the signatures it holds (restore it, or move it aside once every HMAC signature it may hold has expired)`,
        );
      }
      if (entry.until < now) continue;
      live.set(entry.key, Math.max(live.get(entry.key) ?? entry.until, entry.until));
    }
    for (const [key, until] of live) options.restore(key, until);
    return new ReplayJournal(path, await rewrite(path, live), live, options.now);
  }

  /** Records an accepted signature's replay key until `until` (ms); resolves once it is on disk. */
  add(key: string, until: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ line: linesOf(new Map([[key, until]])), key, until, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    while (this.#waiting.length > 0) {
      const group = this.#waiting.splice(0);
      if (this.#broken) {
        for (const entry of group) entry.reject(this.#broken);
        continue;
      }
      const data = Buffer.from(group.map((entry) => entry.line).join(''), 'utf8');
      try {
        await durableWrite(this.#file.fd, data);
        this.#size += data.length;
        for (const entry of group) {
          this.#live.set(entry.key, Math.max(this.#live.get(entry.key) ?? entry.until, entry.until));
          entry.resolve();
        }
        this.#appended += group.length;
        if (this.#appended >= COMPACT_EVERY) await this.#compact().catch(() => {}); // retried at the next lines
      } catch (error) {
        // Whatever part of the group reached the file is cut off again: a torn line would refuse the next start.
        await this.#file.truncate(this.#size).catch(() => {
          this.#broken = new Error(
            `replay state ${this.path} could not be repaired after a failed write; restart the daemon`,
          );
        });
        for (const entry of group) entry.reject(error);
      }
    }
    this.#flushing = undefined;
  }

  /** Replaces the file by its live entries, then appends to the new file. */
  async #compact(): Promise<void> {
    const now = this.#now();
    for (const [key, until] of this.#live) if (until < now) this.#live.delete(key);
    const written = await rewrite(this.path, this.#live);
    await this.#file.close();
    this.#file = written.file;
    this.#size = written.size;
    this.#appended = 0;
  }

  async close(): Promise<void> {
    await this.#flushing;
    await this.#compact().catch(() => {}); // the appended file still holds every entry
    await this.#file.close();
  }
}

/** Replaces the journal by `entries` (atomically), and opens the new file for appends. */
async function rewrite(
  path: string,
  entries: ReadonlyMap<string, number>,
): Promise<{ readonly file: FileHandle; readonly size: number }> {
  const text = linesOf(entries);
  await replaceFile(path, text);
  const flags = constants.O_WRONLY | constants.O_APPEND | SYNCED_WRITES;
  const file = await openOwnFile(path, flags, 'replay state', { private: true });
  return { file, size: Buffer.byteLength(text) };
}

async function readIfPresent(path: string): Promise<string> {
  let file: FileHandle;
  try {
    file = await openOwnFile(path, constants.O_RDONLY, 'replay state', { private: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  try {
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

function parseEntry(line: string): { key: string; until: number } | undefined {
  try {
    const { key, until } = JSON.parse(line);
    return typeof key === 'string' && KEY.test(key) && Number.isSafeInteger(until)
      ? { key, until }
      : undefined;
  } catch {
    return undefined;
  }
}

function linesOf(entries: ReadonlyMap<string, number>): string {
  return [...entries].map(([key, until]) => `${JSON.stringify({ key, until })}\n`).join('');
}
