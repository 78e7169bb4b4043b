import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs/minimal.js';
import type { ContractIssue } from './contract-issue.js';
import { type FieldSpec, MESSAGE_FIELDS, MESSAGE_NAMES, type MessageName } from './descriptor.js';

// The generated decoders trust the wire: a string field sent as a varint is read as a string, invalid
// UTF-8 becomes U+FFFD and unknown field numbers vanish. This scan walks the same bytes first, so such
// input is refused (or its unknown fields reported) instead of being decoded into something else.

/** What a scan found: the first structural fault (nothing after it can be trusted), or the unknown fields. */
export type BinaryScan =
  | { readonly malformed: ContractIssue }
  | { readonly malformed?: undefined; readonly unknownFields: readonly ContractIssue[] };

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
// protobufjs reads an int32 as 5 varint bytes and then skips 5 more, so any other length above 5 would be
// misread; 10 bytes is how every encoder writes a negative int32.
const MAX_SHORT_VARINT_BYTES = 5;
const NEGATIVE_INT32_VARINT_BYTES = 10;

const FIELDS_BY_NUMBER = new Map<MessageName, ReadonlyMap<number, FieldSpec>>(
  MESSAGE_NAMES.map((name) => [name, new Map(MESSAGE_FIELDS[name].map((field) => [field.number, field]))]),
);

class Malformed extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(detail);
  }
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

// The contract has no repeated numeric fields (the contract tests pin every field's type), so packed
// encoding never applies: numbers are varints, everything else is length-delimited.
function wireTypeOf(field: FieldSpec): number {
  return field.type === 'int32' || field.type === 'bool' ? WIRE_VARINT : WIRE_LENGTH_DELIMITED;
}

function scanField(
  field: FieldSpec,
  reader: protobuf.Reader,
  path: string,
  unknownFields: ContractIssue[],
): void {
  if (field.type === 'int32' || field.type === 'bool') {
    const start = reader.pos;
    reader.skip();
    const length = reader.pos - start;
    if (length > MAX_SHORT_VARINT_BYTES && length !== NEGATIVE_INT32_VARINT_BYTES) {
      throw new Malformed(
        path,
        `is a ${length}-byte varint; ${field.type} takes 1 to 5 bytes, or 10 when negative`,
      );
    }
  } else if (field.type === 'string') {
    if (!isUtf8(reader.bytes())) throw new Malformed(path, 'is not valid UTF-8');
  } else {
    const length = reader.uint32();
    const end = reader.pos + length;
    if (end > reader.len) {
      throw new Malformed(path, `declares ${length} bytes but only ${reader.len - reader.pos} remain`);
    }
    scanMessage(field.type, reader, end, path, unknownFields);
  }
}

function scanMessage(
  name: MessageName,
  reader: protobuf.Reader,
  end: number,
  path: string,
  unknownFields: ContractIssue[],
): void {
  const repeats = new Map<number, number>();
  while (reader.pos < end) {
    let fieldPath = path;
    try {
      const tag = reader.uint32();
      const number = tag >>> 3;
      const wireType = tag & 7;
      if (number === 0) throw new Malformed(path, 'has a field numbered 0, which protobuf does not allow');
      const field = FIELDS_BY_NUMBER.get(name)?.get(number);
      if (field === undefined) {
        fieldPath = join(path, `#${number}`);
        reader.skipType(wireType);
        unknownFields.push({
          path: fieldPath,
          code: 'unknown_field',
          message: `${name} has no field number ${number}`,
        });
      } else {
        fieldPath = join(path, field.name);
        if (field.repeated) {
          const index = repeats.get(number) ?? 0;
          repeats.set(number, index + 1);
          fieldPath = `${fieldPath}[${index}]`;
        }
        if (wireType !== wireTypeOf(field)) {
          throw new Malformed(
            fieldPath,
            `has wire type ${wireType}; ${field.type} fields use wire type ${wireTypeOf(field)}`,
          );
        }
        scanField(field, reader, fieldPath, unknownFields);
      }
    } catch (error) {
      if (error instanceof Malformed) throw error;
      // The reader's own errors: truncated input, bad varints, invalid wire types, nesting too deep.
      throw new Malformed(fieldPath, `is truncated or malformed (${(error as Error).message})`);
    }
    if (reader.pos > end) throw new Malformed(fieldPath, `runs past the end of its enclosing ${name}`);
  }
}

/** Walks protobuf binary against the contract's descriptor without decoding it. */
export function scanBinary(name: MessageName, bytes: Uint8Array): BinaryScan {
  const reader = protobuf.Reader.create(bytes);
  const unknownFields: ContractIssue[] = [];
  try {
    scanMessage(name, reader, reader.len, '', unknownFields);
  } catch (error) {
    const { path, message } = error as Malformed;
    return { malformed: { path, code: 'malformed_binary', message } };
  }
  return { unknownFields };
}
