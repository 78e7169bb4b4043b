import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { conformanceRequest } from '../src/conformance.js';
import {
  type ApprovalState,
  createMemoryApprovalStore,
  generateApproverKey,
  signReview,
  verifyReview,
} from '../src/index.js';
import {
  APPROVAL_STATUSES,
  approvalStatus,
  checkApprovalState,
  findApprovalStateProblem,
} from '../src/wire.js';

const NOW = new Date('2026-01-05T10:01:00.000Z');
let approved: ApprovalState;

// A state as a store makes it: a request and a real signed review, approved with a once grant.
beforeAll(async () => {
  const store = createMemoryApprovalStore({ now: () => NOW });
  await store.create(conformanceRequest('dec-1'));
  const bob = await generateApproverKey();
  const jws = await signReview(
    { request_id: 'dec-1', verdict: 'approve', reviewer: 'bob@example.com', reason: 'release day' },
    bob.privateKeyPem,
    { now: NOW },
  );
  const approvers = { 'Repository Owners': [{ id: 'bob@example.com', publicKey: bob.publicKeyPem }] };
  approved = await store.review('dec-1', await verifyReview(jws, { approvers, now: NOW }), NOW);
});

/** A JSON copy of `approved` with the value at `path` replaced by `value` (removed when undefined). */
function variant(path: readonly (string | number)[], value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(approved));
  const parent = path.slice(0, -1).reduce((node, key) => node[key], copy);
  const key = path.at(-1) as string | number;
  if (value === undefined) delete parent[key];
  else parent[key] = value;
  return copy;
}

describe('the wire check of an approval state', () => {
  it("accepts a store's state, pending and approved, as JSON", () => {
    const json = JSON.parse(JSON.stringify(approved));
    expect(findApprovalStateProblem(json)).toBeUndefined();
    expect(findApprovalStateProblem(json, 'dec-1')).toBeUndefined();
    expect(checkApprovalState(json, 'dec-1')).toBe(json);
    expect(approvalStatus(json)).toBe('approved');
    const pending = { request: approved.request, reviews: [], revision: 0 };
    expect(findApprovalStateProblem(pending)).toBeUndefined();
    expect(approvalStatus(pending)).toBe('pending');
    expect(APPROVAL_STATUSES).toEqual(['pending', 'approved', 'denied', 'expired']);
  });

  it('names the first wrong value by its JSON pointer', () => {
    const cases: [unknown, string | undefined, { path: string; message: string }][] = [
      ['dec-1', undefined, { path: '', message: 'must be object' }],
      [variant(['revision'], -1), undefined, { path: '/revision', message: 'must be >= 0' }],
      [
        variant(['reviews', 0, 'verdict'], undefined),
        undefined,
        { path: '/reviews/0', message: "must have required property 'verdict'" },
      ],
      [
        variant(['reviews', 0, 'reviewer'], ' '),
        undefined,
        { path: '/reviews/0/reviewer', message: 'must match pattern "\\S"' },
      ],
      [
        variant(['request', 'expires_at'], '2026-13-05T10:15:00.000Z'),
        undefined,
        { path: '/request/expires_at', message: expect.stringMatching(/^must match pattern /) },
      ],
      [
        variant(['request', 'scopes'], ['once', 'forever']),
        undefined,
        { path: '/request/scopes/1', message: 'must be equal to one of the allowed values' },
      ],
      [
        variant(['outcome', 'status'], 'denied'),
        undefined,
        { path: '/outcome/grant', message: 'must not be present' },
      ],
      [
        variant(['reviews', 0, 'request_id'], 'dec-2'),
        undefined,
        { path: '/reviews/0/request_id', message: "is not the request's" },
      ],
      [
        variant(['outcome', 'grant', 'request_id'], 'dec-2'),
        undefined,
        { path: '/outcome/grant/request_id', message: "is not the request's" },
      ],
      [
        approved,
        'dec-2',
        { path: '/request/request_id', message: 'is not the request asked about ("dec-2")' },
      ],
    ];
    for (const [json, requestId, problem] of cases)
      expect(findApprovalStateProblem(json, requestId)).toEqual(problem);
  });

  it('checkApprovalState throws a TypeError naming the problem', () => {
    expect(() => checkApprovalState(variant(['revision'], 1.5))).toThrow(
      new TypeError('not an approval state: /revision must be integer'),
    );
    expect(() => checkApprovalState(null)).toThrow(
      new TypeError('not an approval state: the value must be object'),
    );
  });
});

describe('@cavra/approvals/wire as built', () => {
  // A hook reads approval states through @cavra/daemon-client: this entry must not bring jose, the signing code or
  // any other package with it (dist/wire.js and every file it imports, followed statically).
  it.each(['wire.js', 'wire.cjs'])(
    '%s imports no package and no Node module, only its own files',
    (entry) => {
      const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist');
      const files = new Set<string>();
      const outside = new Set<string>();
      const visit = (file: string) => {
        if (files.has(file)) return;
        files.add(file);
        const text = readFileSync(file, 'utf8');
        for (const [, specifier = ''] of text.matchAll(
          /(?:\bfrom|\bimport|\brequire\()\s*["']([^"']+)["']/g,
        )) {
          if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
          else outside.add(specifier);
        }
      };
      visit(join(dist, entry));
      expect([...outside]).toEqual([]);
      // It did follow the chunks (model, check, generated validator).
      expect(files.size).toBeGreaterThan(2);
    },
  );
});
