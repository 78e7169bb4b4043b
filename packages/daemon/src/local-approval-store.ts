import { constants } from 'node:fs';
import { type FileHandle, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type ApprovalState,
  type ApprovalStore,
  createMemoryApprovalStore,
  findApprovalStateProblem,
} from '@cavra/approvals';
import { durableWrite, replaceFile, SYNCED_WRITES, syncDirectory } from './durable-write.js';
import { readLines } from './log-lines.js';
import { checkPrivateDirectory, openOwnFile } from './own-file.js';
import { claimWriterLock } from './writer-lock.js';

const WHAT = 'approval store';

/**
 * The local approval store: the in-memory store of `@cavra/approvals`, with every state it commits (a request, a
 * review, an outcome, an expiry, a consumed `once` grant) appended to an owner-only journal, one JSON line per state,
 * written and synced before the operation resolves, so nothing is answered that a restart would lose. At open the
 * journal is read back (the latest revision of each request wins), loaded into the memory store, and rewritten
 * atomically with those states only, so it stays as large as the requests it holds. One daemon at a time writes it
 * (`<file>.lock`); a symbolic link, another user's file or one others can write is refused like every file the
 * daemon keeps.
 */
export async function openLocalApprovalStore(
  path: string,
  options: {
    readonly now?: () => Date;
    /**
     * Called with each committed state once it is in the journal, before the operation resolves (the daemon records
     * reviews and outcomes in its evidence log here); when it rejects, the operation fails `store_unavailable`.
     */
    readonly committed?: (state: ApprovalState, previous: ApprovalState | undefined) => Promise<void>;
  } = {},
): Promise<ApprovalStore> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await checkPrivateDirectory(path, WHAT);
  const unlock = await claimWriterLock(path);
  let journal: Journal;
  let states: ApprovalState[];
  try {
    states = await readJournal(path);
    journal = await Journal.rewrite(path, states);
  } catch (error) {
    await unlock();
    throw error;
  }
  const memory = createMemoryApprovalStore({
    ...(options.now ? { now: options.now } : {}),
    onChange: async (state, previous) => {
      await journal.append(state);
      await options.committed?.(state, previous);
    },
  });
  memory.restore(states);
  // The memory store's operations as they are (restore stays inside): only closing has more to do.
  return {
    ...memory,
    async close() {
      await memory.close();
      await journal.close();
      await unlock();
    },
  };
}

/** The latest state of each request in the journal, in order of creation. */
async function readJournal(path: string): Promise<ApprovalState[]> {
  let file: FileHandle;
  try {
    file = await openOwnFile(path, constants.O_RDONLY, WHAT, { private: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const latest = new Map<string, ApprovalState>();
  try {
    let number = 0;
    // A last line without its newline was never acknowledged (a crash mid-write): the rewrite leaves it out.
    await readLines(file, 0, (await file.stat()).size, (line) => {
      number += 1;
      const state = parseState(line);
      if (typeof state === 'string') {
        throw new Error(
          `${WHAT} ${path}: line ${number} is not an approval state (${state}); refusing to start without the requests, reviews and grants it holds (restore it, or move it aside)`,
        );
      }
      const known = latest.get(state.request.request_id);
      if (!known || state.revision > known.revision) latest.set(state.request.request_id, state);
    });
  } finally {
    await file.close();
  }
  return [...latest.values()];
}

/** A journal line read back as a state (checked against the wire schema), or why it is not one. */
function parseState(line: string): ApprovalState | string {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  const problem = findApprovalStateProblem(json);
  return problem ? `${problem.path || 'the line'} ${problem.message}` : (json as ApprovalState);
}

/** The open journal: appends one at a time, each synced; a failed append is cut off again, or the journal refuses more. */
class Journal {
  readonly #path: string;
  readonly #file: FileHandle;
  #size: number;
  #broken = false;
  #tail: Promise<void> = Promise.resolve();

  private constructor(path: string, file: FileHandle, size: number) {
    this.#path = path;
    this.#file = file;
    this.#size = size;
  }

  /** Replaces the journal by `states` (atomically, synced, the folder too) and opens it for appends. */
  static async rewrite(path: string, states: readonly ApprovalState[]): Promise<Journal> {
    const text = states.map((state) => `${JSON.stringify(state)}\n`).join('');
    await replaceFile(path, text);
    await syncDirectory(dirname(path));
    const flags = constants.O_WRONLY | constants.O_APPEND | SYNCED_WRITES;
    return new Journal(
      path,
      await openOwnFile(path, flags, WHAT, { private: true }),
      Buffer.byteLength(text),
    );
  }

  append(state: ApprovalState): Promise<void> {
    const turn = this.#tail.then(() => this.#write(Buffer.from(`${JSON.stringify(state)}\n`, 'utf8')));
    this.#tail = turn.catch(() => {});
    return turn;
  }

  async #write(data: Buffer): Promise<void> {
    if (this.#broken) throw new Error(`${WHAT} ${this.#path} could not be repaired after a failed write`);
    try {
      await durableWrite(this.#file.fd, data);
      this.#size += data.length;
    } catch (error) {
      await this.#file.truncate(this.#size).catch(() => {
        this.#broken = true;
      });
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.#file.close();
  }
}
