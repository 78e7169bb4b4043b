/**
 * The last `max` distinct ids added, in memory; adding an id already held changes nothing. The order is kept in a ring
 * of `max` slots rather than read from the Set: forgetting a Set's oldest entry with `values().next()` makes V8 walk
 * over every entry deleted since it last rebuilt the table, thousands per call at 10,000 ids (6-14 µs; it showed in
 * the daemon's per-decision profile).
 */
export class RecentIds {
  readonly #ids = new Set<string>();
  readonly #ring: (string | undefined)[];
  #next = 0;

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`max must be a whole number ≥ 1: ${max}`);
    this.#ring = new Array<string | undefined>(max).fill(undefined);
  }

  add(id: string): void {
    if (this.#ids.has(id)) return;
    const oldest = this.#ring[this.#next];
    if (oldest !== undefined) this.#ids.delete(oldest);
    this.#ring[this.#next] = id;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#ids.add(id);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  get size(): number {
    return this.#ids.size;
  }
}
