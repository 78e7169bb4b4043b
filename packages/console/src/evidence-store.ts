import { type FileHandle, stat } from 'node:fs/promises';
import { type EvidenceVerification, type VerifyOptions, verifyEvidenceLog } from '@cavra/daemon';
import { ConsoleError } from './console-error.js';
import { type EvidenceQuery, matches } from './evidence-filter.js';
import { type EvidenceSummary, summarize } from './evidence-summary.js';
import { forEachLine, LineIndex } from './line-index.js';

/** Lines read per read while paging backwards. */
const BLOCK = 256;
/**
 * Most lines one page request looks at: a filter that matches rarely answers the records found so far and where to
 * go on (`next_before`), so no request reads a huge log whole.
 */
const SCAN_BUDGET = 20_000;
/** Problems the verification answer lists (the first ones: the rest follow from them, usually). */
const PROBLEMS_SHOWN = 5;

export interface EvidencePage {
  readonly records: readonly EvidenceSummary[];
  /** `before` for the next (older) page; null when the log's start was reached. */
  readonly next_before: number | null;
  /** Complete lines in the log now. */
  readonly total: number;
}

export interface ChainStatus {
  readonly ok: boolean;
  readonly records: number;
  readonly tornTail: boolean;
  readonly problems: EvidenceVerification['problems'];
}

export type Bucket = 'hour' | 'day';

/** Counts per time bucket, for the chart: by decision and by rule. */
export interface BucketCounts {
  readonly start: string;
  readonly decisions: Record<string, number>;
  readonly rules: Record<string, number>;
}

/** Buckets the counts answer keeps (the newest). */
const MAX_BUCKETS = 400;

/**
 * The evidence log as the console reads it: pages newest first through a line index, one record, the daemon's chain
 * check (cached while the file is unchanged) and counts per hour or day (extended as the log grows). The record at
 * line n has seq n (the chain check flags a log where that does not hold).
 */
export class EvidenceStore {
  readonly path: string;
  readonly #verify: VerifyOptions;
  readonly #index: LineIndex;
  #verified: { key: string; result: EvidenceVerification } | undefined;
  #counts = { end: 0, hour: new Map<string, BucketCounts>(), day: new Map<string, BucketCounts>() };

  constructor(path: string, verify: VerifyOptions = {}) {
    this.path = path;
    this.#verify = verify;
    this.#index = new LineIndex(path);
  }

  /** The index brought up to the log's end, its file open; a log that is not there is `evidence_missing`. */
  #refresh(): Promise<FileHandle> {
    return this.#index.refresh().catch((error: unknown) => this.#missing(error));
  }

  // An approver's machine may not hold the requester's log: say so, rather than fail as the console's own error.
  #missing(error: unknown): never {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ConsoleError(
        'evidence_missing',
        `the evidence log ${this.path} does not exist on this machine`,
      );
    throw error;
  }

  async page(query: EvidenceQuery): Promise<EvidencePage> {
    const file = await this.#refresh();
    try {
      const total = this.#index.lines;
      let to = Math.min(total, query.before === undefined ? total : query.before - 1);
      if (query.until !== undefined) to = await this.#linesUntil(file, to, Date.parse(query.until));
      const since = query.since === undefined ? undefined : Date.parse(query.since);
      const records: EvidenceSummary[] = [];
      let budget = SCAN_BUDGET;
      while (to > 0 && records.length < query.limit && budget > 0) {
        const from = Math.max(0, to - Math.min(BLOCK, budget));
        const lines = await this.#index.read(file, from, to);
        for (let at = lines.length - 1; at >= 0; at--) {
          const line = lines[at] as string;
          const summary = summarize(line);
          to = from + at;
          budget -= 1;
          // Older than the range: so is every line before it.
          if (since !== undefined && summary && Date.parse(summary.time) < since) to = 0;
          else if (summary && matches(query, summary, line)) records.push(summary);
          if (records.length === query.limit || to === 0) break;
        }
      }
      return { records, next_before: to > 0 ? to + 1 : null, total };
    } finally {
      await file.close();
    }
  }

  /**
   * How many of the first `lines` lines were recorded at or before `until`: a binary search on `recorded_at`, since
   * the daemon appends in recording order (a line that is not a record counts as before). A system clock stepped
   * back by hand could misplace the records at the range's edge; the unfiltered list still shows every one.
   */
  async #linesUntil(file: FileHandle, lines: number, until: number): Promise<number> {
    let low = 0;
    let high = lines;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const [line] = (await this.#index.read(file, middle, middle + 1)) as [string];
      const time = Date.parse(summarize(line)?.time ?? '');
      if (Number.isNaN(time) || time <= until) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The line holding record `seq`, as written, parsed when it is JSON. */
  async record(seq: number): Promise<{ line: number; text: string; record: unknown }> {
    const file = await this.#refresh();
    try {
      if (seq < 1 || seq > this.#index.lines)
        throw new ConsoleError('not_found', `no record ${seq} in the log`);
      const [text] = (await this.#index.read(file, seq - 1, seq)) as [string];
      let record: unknown = null;
      try {
        record = JSON.parse(text);
      } catch {
        // Not JSON: shown as text, and the chain check names the problem.
      }
      return { line: seq, text, record };
    } finally {
      await file.close();
    }
  }

  /** Complete lines in the log when it was last read. */
  get lines(): number {
    return this.#index.lines;
  }

  /** Record `seq` (undefined when the log does not hold it). */
  async recordAt(seq: number): Promise<{ line: number; text: string; record: unknown } | undefined> {
    return this.record(seq).catch((error: unknown) => {
      if (error instanceof ConsoleError && error.code === 'not_found') return undefined;
      throw error;
    });
  }

  /** The log's last record (undefined when it is empty). */
  async last(): Promise<{ line: number; text: string; record: unknown } | undefined> {
    await (await this.#refresh()).close();
    return this.#index.lines === 0 ? undefined : this.recordAt(this.#index.lines);
  }

  /** The daemon's chain check of the whole log, computed again only when the file changed. */
  async verification(): Promise<ChainStatus> {
    const { size, mtimeMs } = await stat(this.path).catch((error: unknown) => this.#missing(error));
    const key = `${size}:${mtimeMs}`;
    if (this.#verified?.key !== key) {
      this.#verified = { key, result: await verifyEvidenceLog(this.path, this.#verify) };
    }
    const { ok, records, tornTail, problems } = this.#verified.result;
    return { ok, records, tornTail, problems };
  }

  /** The verification, its problems cut to the first few. */
  async verificationSummary(): Promise<ChainStatus> {
    const status = await this.verification();
    return { ...status, problems: status.problems.slice(0, PROBLEMS_SHOWN) };
  }

  /** The count in progress: counts run one after the other, or two would count the same new lines twice. */
  #counting: Promise<unknown> = Promise.resolve();

  /** Counts by decision and rule per hour or day (UTC), oldest first; only the newest MAX_BUCKETS. */
  counts(bucket: Bucket): Promise<BucketCounts[]> {
    const counted = this.#counting.then(() => this.#count(bucket));
    this.#counting = counted.catch(() => undefined);
    return counted;
  }

  async #count(bucket: Bucket): Promise<BucketCounts[]> {
    const counts = this.#counts;
    const read = await forEachLine(this.path, counts.end, (line) => {
      const summary = summarize(line);
      if (summary?.kind !== 'decision' || Number.isNaN(Date.parse(summary.time))) return;
      add(counts.hour, summary.time.slice(0, 13).concat(':00:00Z'), summary);
      add(counts.day, summary.time.slice(0, 10).concat('T00:00:00Z'), summary);
    });
    if (read.size < counts.end) {
      // Replaced or truncated: counted again from its start.
      this.#counts = { end: 0, hour: new Map(), day: new Map() };
      return this.#count(bucket);
    }
    counts.end = read.end;
    return [...counts[bucket].values()].sort((a, b) => a.start.localeCompare(b.start)).slice(-MAX_BUCKETS);
  }
}

function add(buckets: Map<string, BucketCounts>, start: string, summary: EvidenceSummary) {
  let entry = buckets.get(start);
  if (!entry) {
    entry = { start, decisions: {}, rules: {} };
    buckets.set(start, entry);
  }
  entry.decisions[summary.decision] = (entry.decisions[summary.decision] ?? 0) + 1;
  entry.rules[summary.rule] = (entry.rules[summary.rule] ?? 0) + 1;
}
