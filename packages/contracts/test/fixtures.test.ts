import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EvaluateRequestCodec, toRuntimeRequest } from '../src/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures');
const names = readdirSync(dir)
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.replace(/\.json$/, ''));

function load(name: string) {
  return {
    json: JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>,
    hex: readFileSync(join(dir, `${name}.pb.hex`), 'utf8').trim(),
  };
}

// The coverage contract.md asks for: approval, failed delivery, critical inventory freshness, rollout evidence
// verification, rollout artifact integrity, promotion audit export, rollback audit export.
const REQUIRED_KINDS = [
  'release-channel-promotion-request',
  'release-connector-delivery',
  'endpoint-inventory-freshness-report',
  'rollout-evidence-verification',
  'rollout-artifact-integrity',
  'rollout-promotion-audit-export',
  'rollout-rollback-audit-export',
];

it('covers the seven release-governance cases of the contract and both runner_auth algorithms', () => {
  const kinds = names
    .map((name) => load(name).json.release_governance as { metadata_kind?: string } | undefined)
    .flatMap((evidence) => (evidence?.metadata_kind ? [evidence.metadata_kind] : []));
  expect(kinds.sort()).toEqual([...REQUIRED_KINDS].sort());
  const algorithms = names
    .map((name) => load(name).json.runner_auth as { algorithm?: string } | undefined)
    .flatMap((auth) => (auth?.algorithm ? [auth.algorithm] : []));
  expect(algorithms.sort()).toEqual(['HMAC-SHA256', 'OIDC-JWT']);
});

describe.each(names)('fixture %s', (name) => {
  const { json, hex } = load(name);

  it('validates in strict mode', () => {
    expect(EvaluateRequestCodec.validate(json, { strict: true }).errors).toEqual([]);
  });

  it('encodes to exactly the golden binary', () => {
    expect(Buffer.from(EvaluateRequestCodec.encode(json, { strict: true })).toString('hex')).toBe(hex);
  });

  it('decodes the golden binary to exactly the JSON', () => {
    expect(EvaluateRequestCodec.toJSON(EvaluateRequestCodec.decode(Buffer.from(hex, 'hex')))).toEqual(json);
  });

  it('converts to a runtime request', () => {
    const request = toRuntimeRequest(json, { strict: true });
    expect(request.sessionId).toBe(json.session_id);
    expect(request.operation).toBe(json.requested_operation);
  });
});
