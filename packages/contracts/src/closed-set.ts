/** True when `value` is one of the strings of a closed set (the contract's enum-like string fields). */
export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}
