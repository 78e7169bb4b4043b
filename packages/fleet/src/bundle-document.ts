import { createHash } from 'node:crypto';
import { issueText, schemaIssues } from '@cavra/runtime';
import schema from '../schema/fleet-bundle.schema.json' with { type: 'json' };
import { FleetError } from './fleet-error.js';
import { fleetBundle as validate } from './generated/bundle-validator.js';

export const FLEET_BUNDLE_SCHEMA = 'cavra.fleet.bundle.v1';

/** One pack file of a bundle: its file name, the SHA-256 of its UTF-8 text, and the text. */
export interface BundlePack {
  readonly name: string;
  readonly sha256: string;
  readonly text: string;
}

/**
 * A bundle: ONE TUF target `bundle-<revision>.json` holding every pack file of the channel, so a signed old parent
 * can never be mixed with a signed new child (schema/fleet-bundle.schema.json).
 */
export interface FleetBundle {
  readonly schema: typeof FLEET_BUNDLE_SCHEMA;
  readonly channel: string;
  readonly revision: number;
  readonly created_at: string;
  readonly packs: readonly BundlePack[];
  /** The pack the daemon enforces (its parents come from the same bundle); absent: every pack of the bundle. */
  readonly default_pack?: string;
}

/** The SHA-256 (hex) of `data`. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The bytes a bundle is published as. */
export function bundleBytes(bundle: FleetBundle): Buffer {
  return Buffer.from(`${JSON.stringify(bundle)}\n`);
}

/**
 * Parses a bundle's bytes and checks them against what the signed metadata named: FleetError `invalid_bundle` (not
 * JSON, not the schema, another revision, a pack's hash not its text's, a name twice), `wrong_channel`,
 * `missing_pack` (`default_pack` names no pack of the bundle).
 */
export function parseBundle(
  bytes: Uint8Array,
  expected: { readonly channel: string; readonly revision: number },
) {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new FleetError('invalid_bundle', `the bundle is not JSON: ${(error as Error).message}`);
  }
  if (!validate(value)) {
    const issues = schemaIssues(validate.errors, schema).map(issueText).join('; ');
    throw new FleetError('invalid_bundle', `the bundle is not a ${FLEET_BUNDLE_SCHEMA} document: ${issues}`);
  }
  const bundle = value as FleetBundle;
  if (bundle.channel !== expected.channel) {
    throw new FleetError(
      'wrong_channel',
      `the bundle is for channel ${bundle.channel}, not ${expected.channel}`,
    );
  }
  if (bundle.revision !== expected.revision) {
    throw new FleetError(
      'invalid_bundle',
      `the bundle says revision ${bundle.revision} but is signed as revision ${expected.revision}`,
    );
  }
  const names = new Set<string>();
  for (const pack of bundle.packs) {
    if (names.has(pack.name)) throw new FleetError('invalid_bundle', `the bundle holds ${pack.name} twice`);
    names.add(pack.name);
    if (sha256Hex(pack.text) !== pack.sha256) {
      throw new FleetError('invalid_bundle', `the bundle's sha256 of ${pack.name} is not its text's`);
    }
  }
  if (bundle.default_pack !== undefined && !names.has(bundle.default_pack)) {
    throw new FleetError(
      'missing_pack',
      `the bundle's default_pack ${bundle.default_pack} is not in the bundle`,
    );
  }
  return bundle;
}
