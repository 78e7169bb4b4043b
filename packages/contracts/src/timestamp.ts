// RFC 3339 in UTC only: the contract's timestamps never carry a local offset.
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** True when `value` is an RFC 3339 timestamp in UTC (`Z`) that denotes a real instant. */
export function isRfc3339Utc(value: string): boolean {
  return RFC3339_UTC.test(value) && !Number.isNaN(Date.parse(value));
}
