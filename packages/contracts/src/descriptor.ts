import descriptor from './generated/descriptor.json' with { type: 'json' };

/** The messages of cavra.enforcement.v1. */
export const MESSAGE_NAMES = [
  'EvaluateRequest',
  'DecisionResponse',
  'ReleaseGovernanceEvidence',
  'RunnerAuthentication',
  'RunnerIdentity',
] as const;

export type MessageName = (typeof MESSAGE_NAMES)[number];

export type ScalarType = 'string' | 'int32' | 'bool';

/** One field of a message, as declared in the proto. */
export interface FieldSpec {
  /** snake_case name, as on the wire. */
  readonly name: string;
  /** proto3 lowerCamelCase JSON name, also accepted by decoders. */
  readonly jsonName: string;
  readonly number: number;
  readonly type: ScalarType | MessageName;
  readonly repeated: boolean;
}

interface DescriptorField {
  type: string;
  id: number;
  rule?: string;
}

const messages = descriptor.nested.cavra.nested.enforcement.nested.v1.nested as unknown as Record<
  string,
  { fields: Record<string, DescriptorField> }
>;

function toLowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function buildFields(message: MessageName): readonly FieldSpec[] {
  const declared = messages[message];
  if (!declared) throw new Error(`descriptor has no message ${message}`);
  return Object.freeze(
    Object.entries(declared.fields)
      .map(([name, field]) =>
        Object.freeze({
          name,
          jsonName: toLowerCamel(name),
          number: field.id,
          type: field.type as FieldSpec['type'],
          repeated: field.rule === 'repeated',
        }),
      )
      .sort((a, b) => a.number - b.number),
  );
}

/** Field specs of every message, in field-number order, read from the generated descriptor. */
export const MESSAGE_FIELDS: Readonly<Record<MessageName, readonly FieldSpec[]>> = Object.freeze(
  Object.fromEntries(MESSAGE_NAMES.map((name) => [name, buildFields(name)])) as Record<
    MessageName,
    readonly FieldSpec[]
  >,
);
