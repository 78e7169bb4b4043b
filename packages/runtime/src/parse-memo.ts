/**
 * A bounded memo keyed by the exact command text, for what depends on that text alone (no working directory,
 * environment or pack): the shell parses (shell-parser.ts) and the engine's readings of commands (command-reading.ts).
 * An agent's repeated commands (an edit-build-test loop repeats most of its commands exactly) then skip tree-sitter's
 * parse, the walk over its tree and the reading of what each part runs. The key is the whole text, compared as a
 * JavaScript string (code unit by code unit): no trimming, no Unicode normalisation, no case folding, so a memo never
 * answers for any other text. Parses are deep-frozen, since parseCommand is public: no caller can change what a later
 * caller of the same text is given.
 */

/**
 * How many parses are kept: least recently used first out. Only text tree-sitter reads is kept (plain words cost
 * under a microsecond without it), and that text is at most 2,048 characters, so the memo holds at most about
 * 512 × (2 KiB of key + its parse) in the worst case, a few MiB, and far less for the commands agents send.
 */
export const PARSE_MEMO_SIZE = 512;

/**
 * A least-recently-used map from exact text to a value, deep-frozen unless `freeze: false` (for values that never
 * leave the package, where freezing would cost more than the memo saves: see command-reading.ts).
 */
export class ParseMemo<V> {
  readonly #entries = new Map<string, V>();
  readonly #freeze: boolean;
  #hits = 0;
  #misses = 0;

  constructor(
    readonly size: number,
    options: { readonly freeze?: boolean } = {},
  ) {
    if (!Number.isSafeInteger(size) || size < 0)
      throw new RangeError(`memo size must be a whole number ≥ 0: ${size}`);
    this.#freeze = options.freeze ?? true;
  }

  /** The value for exactly this text, computing (and freezing) it on a miss, and keeping it unless `keep` says no. */
  get(text: string, compute: (text: string) => V, keep?: (value: V) => boolean): V {
    const kept = this.#entries.get(text);
    if (kept !== undefined) {
      this.#hits += 1;
      // Map keeps insertion order: re-inserting makes this the most recently used entry.
      this.#entries.delete(text);
      this.#entries.set(text, kept);
      return kept;
    }
    this.#misses += 1;
    const computed = compute(text);
    const value = this.#freeze ? deepFreeze(computed) : computed;
    if (this.size === 0 || (keep && !keep(value))) return value;
    if (this.#entries.size >= this.size) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(text, value);
    return value;
  }

  /** Hits and misses since the memo was made (or last cleared), and how many entries it holds. */
  stats(): { readonly hits: number; readonly misses: number; readonly entries: number } {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size };
  }

  clear(): void {
    this.#entries.clear();
    this.#hits = 0;
    this.#misses = 0;
  }
}

function deepFreeze<V>(value: V): V {
  if (typeof value !== 'object' || value === null) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
