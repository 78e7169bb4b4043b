import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { replaceFile, syncDirectory } from './durable-write.js';
import type { ChainPosition } from './verify-evidence-log.js';

/**
 * A segmented evidence log (fleet mode: the shipper's spool, see docs/fleet.md "Sizing"). The active segment is the
 * log's own path, so its id, the evidence refs and the signatures bound to it do not change; a full segment is
 * closed by renaming it to `<log>.seg-<its first seq>`, and the chain goes on in a new file at the path. Naming a
 * segment by its first seq keeps the name true across that rename, so the checkpoint can name it.
 */
export interface ClosedSegment {
  readonly path: string;
  /** The seq of its first record. */
  readonly first: number;
  readonly bytes: number;
}

/** Digits of the first seq in a closed segment's name: every safe integer fits, and the names sort as numbers. */
const SEQ_DIGITS = 16;

export function segmentPath(logPath: string, first: number): string {
  return `${logPath}.seg-${String(first).padStart(SEQ_DIGITS, '0')}`;
}

/** The closed segments of `logPath`, oldest first; none when the log was never segmented. */
export async function listSegments(logPath: string): Promise<ClosedSegment[]> {
  const prefix = `${basename(logPath)}.seg-`;
  const folder = dirname(logPath);
  const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const found: ClosedSegment[] = [];
  for (const name of names) {
    const digits = name.startsWith(prefix) ? name.slice(prefix.length) : '';
    if (!/^\d{16}$/.test(digits)) continue;
    const path = join(folder, name);
    const info = await lstat(path);
    // A link or folder there is not a segment the daemon wrote: verification must not follow or skip it silently.
    if (!info.isFile()) throw new Error(`evidence segment ${path} is not a regular file`);
    found.push({ path, first: Number(digits), bytes: info.size });
  }
  return found.sort((a, b) => a.first - b.first);
}

/**
 * `<log>.pruned`: the last record of the segments pruned so far (they were covered by a verified receipt), and the
 * log's epoch, which named its first record. The chain of what remains starts after it.
 */
export interface PruneMark extends ChainPosition {
  readonly epoch: string;
}

export function pruneMarkPath(logPath: string): string {
  return `${logPath}.pruned`;
}

/**
 * The prune mark, or undefined when nothing was pruned; a mark that cannot be read is an error (the chain needs it).
 * Read as any file is: `evidence verify` may read a copy, and the mark only says where the chain starts, which the
 * receipt (`--anchor`) checks.
 */
export async function readPruneMark(logPath: string): Promise<PruneMark | undefined> {
  const path = pruneMarkPath(logPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const mark = parseMark(text);
  if (!mark) throw new Error(`evidence prune mark ${path} is not {"seq","hash","epoch"}`);
  return mark;
}

/** Replaces the prune mark durably: it is written before the segments it covers are deleted. */
export async function writePruneMark(logPath: string, mark: PruneMark): Promise<void> {
  await replaceFile(pruneMarkPath(logPath), `${JSON.stringify(mark)}\n`);
  await syncDirectory(dirname(logPath));
}

function parseMark(text: string): PruneMark | undefined {
  try {
    const { seq, hash, epoch } = JSON.parse(text);
    const valid =
      Number.isSafeInteger(seq) &&
      seq > 0 &&
      /^[0-9a-f]{64}$/.test(hash) &&
      typeof epoch === 'string' &&
      /^[0-9a-f]{16}$/.test(epoch);
    return valid ? { seq, hash, epoch } : undefined;
  } catch {
    return undefined;
  }
}

/** The epoch of a log (see the evidence spec): the first 16 hex characters of its first record's hash. */
export function epochOf(firstHash: string): string {
  return firstHash.slice(0, 16);
}
