import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  isRfc3339Utc,
  isSafeIdentifier,
  isSafeName,
  isSafeReference,
  shareInstanceof,
} from '@cavra/contracts';

/**
 * An operational drill: returning a promoted environment to its previous state (version or mode) and
 * checking that it worked. Public-safe: identifiers, timestamps and references only.
 */
export interface DrillRecord {
  /** The environment (release channel) the drill ran against, e.g. `production`. */
  readonly environment: string;
  /** Who ran it (an identifier such as an e-mail or a CI actor). */
  readonly actor: string;
  /** When it finished, RFC 3339 UTC. */
  readonly completedAt: string;
  /** The state the environment was returned from and to, e.g. `v0.3.0` → `v0.2.0`. */
  readonly from: string;
  readonly to: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly evidenceRefs: readonly string[];
}

export class DrillRecordError extends Error {
  readonly code = 'invalid_drill';
  readonly issues: readonly { readonly path: string; readonly message: string }[];

  constructor(where: string, issues: readonly { path: string; message: string }[]) {
    super(
      `${where}: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ')}`,
    );
    this.name = 'DrillRecordError';
    this.issues = issues;
  }
}
shareInstanceof(DrillRecordError, '@cavra/release-governance.DrillRecordError');

/** Where a drill history reads the time: drills completed later than now are refused. */
export interface DrillHistoryOptions {
  /** Default: the system clock. */
  readonly clock?: () => Date;
}

const MAX_REFS = 16;
const KEYS = ['environment', 'actor', 'completedAt', 'from', 'to', 'outcome', 'evidenceRefs'];

/**
 * Checks every field; throws DrillRecordError naming each offending one. A drill cannot have completed after `now`:
 * a future-dated drill would otherwise satisfy the promotion gate until that date.
 */
export function checkDrillRecord(value: unknown, where = 'drill', now: Date = new Date()): DrillRecord {
  const issues: { path: string; message: string }[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DrillRecordError(where, [{ path: '', message: 'must be an object' }]);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KEYS.includes(key)) issues.push({ path: key, message: 'is not a drill field' });
  }
  if (typeof record.actor !== 'string' || record.actor === '' || !isSafeName(record.actor)) {
    issues.push({ path: 'actor', message: 'must be a non-empty single line of at most 256 bytes' });
  }
  for (const key of ['environment', 'from', 'to']) {
    const field = record[key];
    if (typeof field !== 'string' || !isSafeIdentifier(field)) {
      issues.push({ path: key, message: 'must be a plain identifier ([A-Za-z0-9._:/+-], 1-128)' });
    }
  }
  if (typeof record.completedAt !== 'string' || !isRfc3339Utc(record.completedAt)) {
    issues.push({ path: 'completedAt', message: 'must be an RFC 3339 UTC timestamp' });
  } else if (Date.parse(record.completedAt) > now.getTime()) {
    issues.push({ path: 'completedAt', message: `is in the future (now is ${now.toISOString()})` });
  }
  if (record.outcome !== 'succeeded' && record.outcome !== 'failed') {
    issues.push({ path: 'outcome', message: 'must be succeeded or failed' });
  }
  const refs = record.evidenceRefs;
  if (!Array.isArray(refs) || refs.length > MAX_REFS) {
    issues.push({ path: 'evidenceRefs', message: `must be a list of at most ${MAX_REFS} references` });
  } else {
    refs.forEach((ref, index) => {
      if (typeof ref !== 'string' || !isSafeReference(ref)) {
        issues.push({ path: `evidenceRefs[${index}]`, message: 'is not a safe reference' });
      }
    });
  }
  if (issues.length > 0) throw new DrillRecordError(where, issues);
  return Object.freeze({
    ...(record as unknown as DrillRecord),
    evidenceRefs: Object.freeze([...(refs as string[])]),
  });
}

/**
 * Drill history: an append-only JSON Lines file (one drill per line) mirrored in memory, so the promotion
 * gate can ask synchronously for the last successful drill. Without a path it lives in memory only.
 * The file is read once, by `open`: drills another process appends later are seen by the next `open`.
 */
export class DrillHistory {
  readonly #path: string | undefined;
  readonly #drills: DrillRecord[];
  readonly #clock: () => Date;
  // A hand-edited file may lack its final newline; the next append must not join that line.
  #needsNewline: boolean;
  // Appends run one at a time, so the file's order is the order of `record` calls.
  #appending: Promise<unknown> = Promise.resolve();

  private constructor(
    path: string | undefined,
    drills: DrillRecord[],
    clock: () => Date,
    needsNewline: boolean,
  ) {
    this.#path = path;
    this.#drills = drills;
    this.#clock = clock;
    this.#needsNewline = needsNewline;
  }

  /** A history kept in memory only, starting with `drills` (each checked). */
  static inMemory(drills: readonly DrillRecord[] = [], options: DrillHistoryOptions = {}): DrillHistory {
    const clock = options.clock ?? (() => new Date());
    return new DrillHistory(
      undefined,
      drills.map((drill, index) => checkDrillRecord(drill, `drills[${index}]`, clock())),
      clock,
      false,
    );
  }

  /**
   * Opens (or starts) the history file. A line that is not JSON, not a valid drill or dated in the future is an
   * error naming its line number: history is never skipped silently.
   */
  static async open(path: string, options: DrillHistoryOptions = {}): Promise<DrillHistory> {
    const clock = options.clock ?? (() => new Date());
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const now = clock();
    const drills = text
      .split('\n')
      .map((line, index) => [line, index + 1] as const)
      .filter(([line]) => line.trim() !== '')
      .map(([line, number]) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          throw new DrillRecordError(`${path}:${number}`, [{ path: '', message: 'is not JSON' }]);
        }
        return checkDrillRecord(parsed, `${path}:${number}`, now);
      });
    return new DrillHistory(path, drills, clock, text !== '' && !text.endsWith('\n'));
  }

  /**
   * Validates and appends a drill (to the file first, so memory never holds what the file lacks), creating the
   * file's folder (mode 0700) if needed.
   */
  async record(drill: DrillRecord): Promise<DrillRecord> {
    const checked = checkDrillRecord(drill, 'drill', this.#clock());
    const append = this.#appending.then(async () => {
      if (this.#path) {
        await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
        const line = `${this.#needsNewline ? '\n' : ''}${JSON.stringify(checked)}\n`;
        await appendFile(this.#path, line, { mode: 0o600 });
        this.#needsNewline = false;
      }
      this.#drills.push(checked);
    });
    this.#appending = append.catch(() => undefined);
    await append;
    return checked;
  }

  /**
   * The most recent successful drill for the environment, by completion time. With `asOf`, drills completed after
   * it do not count (the promotion gate passes the engine's clock).
   */
  lastSuccessful(environment: string, asOf?: Date): DrillRecord | undefined {
    const limit = asOf?.getTime() ?? Number.POSITIVE_INFINITY;
    let last: DrillRecord | undefined;
    for (const drill of this.#drills) {
      const completed = Date.parse(drill.completedAt);
      if (drill.environment === environment && drill.outcome === 'succeeded' && completed <= limit) {
        if (!last || completed > Date.parse(last.completedAt)) last = drill;
      }
    }
    return last;
  }

  /** Every drill, in the order recorded. */
  get drills(): readonly DrillRecord[] {
    return [...this.#drills];
  }
}
