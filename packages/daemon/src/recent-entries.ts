/**
 * The values set by the last `max` calls of `set`, by key (a key set again holds its latest value), for one that is
 * read rarely (a client's refusal of an answer) and written on every request: `set` writes a slot of a ring of `max`
 * slots and touches no hash table; `get` searches the ring from the newest slot.
 */
export class RecentRing<V> {
  readonly #max: number;
  /** The key and value set at each slot. Grow to `max`, then wrap. */
  readonly #keys: string[] = [];
  readonly #values: V[] = [];
  #next = 0;

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`max must be a whole number ≥ 1: ${max}`);
    this.#max = max;
  }

  /** The slot the next `set` writes. */
  get nextSlot(): number {
    return this.#next;
  }

  keyAt(slot: number): string | undefined {
    return this.#keys[slot];
  }

  valueAt(slot: number): V | undefined {
    return this.#values[slot];
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

/**
 * The same memory, read often: a Map from each key to the slot of its latest set, over the ring. The order is kept
 * in the ring rather than read from the Map: forgetting a Map's oldest entry with `keys().next()` makes V8 walk over
 * every entry deleted since it last rebuilt the table, thousands per call at 10,000 entries (6-14 µs; it showed in
 * the daemon's per-decision profile).
 */
export class RecentEntries<V> {
  readonly #ring: RecentRing<V>;
  /** The slot of each key's latest set; a slot whose key was set again since is stale. */
  readonly #slots = new Map<string, number>();

  constructor(max: number) {
    this.#ring = new RecentRing(max);
  }

  set(key: string, value: V): void {
    const slot = this.#ring.nextSlot;
    const oldest = this.#ring.keyAt(slot);
    if (oldest !== undefined && this.#slots.get(oldest) === slot) this.#slots.delete(oldest);
    this.#ring.set(key, value);
    this.#slots.set(key, slot);
  }

  get(key: string): V | undefined {
    const slot = this.#slots.get(key);
    return slot === undefined ? undefined : this.#ring.valueAt(slot);
  }

  has(key: string): boolean {
    return this.#slots.has(key);
  }

  get size(): number {
    return this.#slots.size;
  }
}
