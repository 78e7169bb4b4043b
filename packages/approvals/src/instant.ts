/** An instant as the model writes it: RFC 3339 UTC with milliseconds. */
export function instant(date: Date | number): string {
  return new Date(date).toISOString();
}
