import { MESSAGE_FIELDS, type MessageName } from '../../src/index.js';

const VALID_STRINGS: Record<string, string> = {
  decision: 'require_approval',
  severity: 'high',
  timestamp: '2026-11-25T12:00:00.123Z',
  algorithm: 'HMAC-SHA256',
  issued_at: '2026-11-25T12:00:00Z',
  expires_at: '2026-11-25T12:05:00Z',
};

/** A message with every field set to a distinct non-default value, so a round trip exercises every field. */
export function fullySet(name: MessageName): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of MESSAGE_FIELDS[name]) {
    let value: unknown;
    switch (field.type) {
      case 'string':
        value = VALID_STRINGS[field.name] ?? `${field.name}-${field.number}`;
        break;
      case 'int32':
        value = field.number * 7;
        break;
      case 'bool':
        value = true;
        break;
      default:
        value = fullySet(field.type);
    }
    out[field.name] = field.repeated ? [value, value] : value;
  }
  return out;
}
