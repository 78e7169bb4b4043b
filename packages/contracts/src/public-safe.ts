// What may leave the runtime as a record: identifiers and references that match these shapes,
// and nothing else. The shapes exclude whitespace, query strings, fragments, percent-escapes and
// URL user-info (no `@`), which is where credentials and tokens hide.
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}$/;
const REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,255}$/;
// Runner identity values are provider-assigned names (workflow and job names may contain spaces).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const MAX_NAME_BYTES = 256;

/** A bounded identifier such as a version, channel, provider or approval id. */
export function isSafeIdentifier(value: string): boolean {
  return IDENTIFIER.test(value);
}

/** A reference to evidence: an id, `scheme:path` or a URL without user-info, query or fragment. */
export function isSafeReference(value: string): boolean {
  return REFERENCE.test(value);
}

/** A provider-assigned display name: printable, bounded, single line. */
export function isSafeName(value: string): boolean {
  return !CONTROL_CHARACTERS.test(value) && Buffer.byteLength(value, 'utf8') <= MAX_NAME_BYTES;
}
