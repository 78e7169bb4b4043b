const MAX_QUOTED_CHARS = 120;

/** Quotes a request value for a reason string: bounded, so a 16 KiB target cannot flood logs and evidence. */
export function quoteTarget(value: string): string {
  const chars = [...value];
  return chars.length > MAX_QUOTED_CHARS ? `'${chars.slice(0, MAX_QUOTED_CHARS).join('')}…'` : `'${value}'`;
}
