/**
 * A process-wide cache of compiled forms that do not change once built (regexes, matchers), keyed by what they are
 * built from. Bounded, so that a long-running process that sees many packs (a fleet daemon at every push) keeps only
 * the recent ones: past `max` entries, the oldest goes first.
 */
export function boundedCache<V>(max: number): (key: string, build: () => V) => V {
  const entries = new Map<string, V>();
  return (key, build) => {
    let value = entries.get(key);
    if (value === undefined) {
      value = build();
      if (entries.size >= max) entries.delete(entries.keys().next().value as string);
      entries.set(key, value);
    }
    return value;
  };
}
