/**
 * The values set by the last `max` calls of `set`, by key (a key set again holds its latest value): what a bounded
 * memory of recent answers needs, in O(1) per call. The order is kept in a ring of `max` slots rather than read from
 * the Map: forgetting a Map's oldest entry with `keys().next()` makes V8 walk over every entry deleted since it last
 * rebuilt the table, thousands per call at 10,000 entries (6-14 µs; it showed in the daemon's per-decision profile).
 */
export class RecentEntries<V> {
  readonly #max: number;
  /** The slot of each key's latest set. */
  readonly #slots = new Map<string, number>();
  /** The key and value set at each slot; a slot whose key was set again since is stale. Grow to `max`, then wrap. */
  readonly #keys: string[] = [];
  readonly #values: V[] = [];
  #next = 0;

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`max must be a whole number ≥ 1: ${max}`);
    this.#max = max;
  }

  set(key: string, value: V): void {
    const slot = this.#next;
    const oldest = this.#keys[slot];
    if (oldest !== undefined && this.#slots.get(oldest) === slot) this.#slots.delete(oldest);
    this.#keys[slot] = key;
    this.#values[slot] = value;
    this.#slots.set(key, slot);
    this.#next = slot + 1 === this.#max ? 0 : slot + 1;
  }

  get(key: string): V | undefined {
    const slot = this.#slots.get(key);
    return slot === undefined ? undefined : this.#values[slot];
  }

  has(key: string): boolean {
    return this.#slots.has(key);
  }

  get size(): number {
    return this.#slots.size;
  }
}

/**
 * The same memory for one that is read rarely (a client's refusal of an answer) and written on every request: `set`
 * writes a slot of the ring and touches no hash table; `get` searches the ring from the newest slot.
 */
export class RecentRing<V> {
  readonly #max: number;
  readonly #keys: string[] = [];
  readonly #values: V[] = [];
  #next = 0;

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`max must be a whole number ≥ 1: ${max}`);
    this.#max = max;
  }

  set(key: string, value: V): void {
    this.#keys[this.#next] = key;
    this.#values[this.#next] = value;
    this.#next = this.#next + 1 === this.#max ? 0 : this.#next + 1;
  }

  get(key: string): V | undefined {
    const filled = this.#keys.length;
    for (let back = 1; back <= filled; back++) {
      const slot = (this.#next - back + filled) % filled;
      if (this.#keys[slot] === key) return this.#values[slot];
    }
    return undefined;
  }
}
