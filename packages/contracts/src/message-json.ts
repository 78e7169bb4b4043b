import { MESSAGE_FIELDS, type MessageName } from './descriptor.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

function isDefault(value: unknown): boolean {
  return value === '' || value === 0 || value === false || (Array.isArray(value) && value.length === 0);
}

/**
 * A message as JSON with snake_case keys in field-number order: a protobufjs message (the codecs' toJSON) or a
 * validated plain object (`validate`'s `normalized`) alike, since both hold each field under its snake_case name.
 */
export function messageToJSON(
  name: MessageName,
  message: Record<string, unknown>,
  emitDefaults: boolean,
): JsonObject {
  const out: JsonObject = {};
  for (const field of MESSAGE_FIELDS[name]) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    if (!emitDefaults && isDefault(value)) continue;
    if (field.type === 'string' || field.type === 'int32' || field.type === 'bool') {
      out[field.name] = (Array.isArray(value) ? [...value] : value) as JsonValue;
    } else {
      out[field.name] = messageToJSON(field.type, value as Record<string, unknown>, emitDefaults);
    }
  }
  return out;
}
