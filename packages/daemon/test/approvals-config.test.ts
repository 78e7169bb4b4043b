import { describe, expect, it } from 'vitest';
import { type DaemonConfigError, resolveDaemonConfig } from '../src/index.js';

const resolve = (approvals: unknown) =>
  resolveDaemonConfig({ evidence_log: 'ev.jsonl', approvals }, { baseDir: '/srv/cavra', source: 'd.yaml' });

const issues = (approvals: unknown) => {
  try {
    resolve(approvals);
  } catch (error) {
    return (error as DaemonConfigError).issues;
  }
  return undefined;
};

/** The issues of an approvals: section beside a fleet: section. */
const resolveFleetIssues = (approvals: unknown) => {
  try {
    resolveDaemonConfig(
      {
        evidence_log: 'ev.jsonl',
        fleet: { servers: ['nats://127.0.0.1:4222'], channel: 'team', trust_root: 'root.json' },
        approvals,
      },
      { baseDir: '/srv/cavra', source: 'd.yaml' },
    );
  } catch (error) {
    return (error as DaemonConfigError).issues;
  }
  return undefined;
};

describe('the approvals: section of the daemon config', () => {
  it('is absent by default: nothing about approvals is configured', () => {
    expect(resolveDaemonConfig({ evidence_log: 'ev.jsonl' }).approvals).toBeUndefined();
  });

  it('resolves paths relative to the config file; durations stay as written, defaults are the model’s', () => {
    expect(
      resolve({
        groups: {
          'Repository Owners': { approvers: [{ id: 'alice@example.com', public_key: 'keys/a.pem' }] },
        },
      })?.approvals,
    ).toEqual({
      store: 'local',
      file: '/srv/cavra/ev.jsonl.approvals',
      waitMs: 0,
      selfApprovalAtKeyboard: true,
      expiry: {},
      groups: {
        'Repository Owners': {
          approvers: [{ id: 'alice@example.com', publicKey: '/srv/cavra/keys/a.pem' }],
        },
      },
    });
    expect(
      resolve({
        store: 'local',
        file: '../state/approvals.jsonl',
        wait_ms: 50_000,
        self_approval_at_keyboard: false,
        expiry: { interactive: '30m', ci: '2d' },
        oidc: {
          issuer: 'https://id.example.com',
          audience: 'cavra',
          jwks_url: 'https://id.example.com/jwks',
        },
        groups: { 'Platform Security': { threshold: 2, scopes: ['once'], max_ttl: '90s' } },
      })?.approvals,
    ).toEqual({
      store: 'local',
      file: '/srv/state/approvals.jsonl',
      waitMs: 50_000,
      selfApprovalAtKeyboard: false,
      expiry: { interactive: '30m', ci: '2d' },
      oidc: {
        issuer: 'https://id.example.com',
        audience: 'cavra',
        jwksUrl: 'https://id.example.com/jwks',
        identityClaim: 'email',
        groupsClaim: 'groups',
      },
      groups: { 'Platform Security': { threshold: 2, scopes: ['once'], maxTtl: '90s', approvers: [] } },
    });
  });

  it('store fleet, beside a fleet: section: the person at the keyboard does not approve by default', () => {
    const config = resolveDaemonConfig(
      {
        evidence_log: 'ev.jsonl',
        fleet: { servers: ['nats://127.0.0.1:4222'], channel: 'team', trust_root: 'root.json' },
        approvals: { store: 'fleet', groups: { G: { approvers: [{ id: 'a', public_key: 'a.pem' }] } } },
      },
      { baseDir: '/srv/cavra', source: 'd.yaml' },
    );
    expect([config.approvals?.store, config.approvals?.selfApprovalAtKeyboard]).toEqual(['fleet', false]);
  });

  it('refuses bad values with their key paths', () => {
    const key = { id: 'a', public_key: 'a.pem' };
    expect(issues({ store: 'shared', groups: { G: { approvers: [key] } } })).toEqual([
      { path: '/approvals/store', message: 'must be one of: local, fleet' },
    ]);
    expect(issues({ store: 'fleet', groups: { G: { approvers: [key] } } })).toEqual([
      {
        path: '/approvals/store',
        message: 'store fleet keeps the requests on the fleet’s NATS servers: it needs the fleet: section',
      },
    ]);
    expect(
      resolveFleetIssues({
        store: 'fleet',
        oidc: {
          issuer: 'https://id.example.com',
          audience: 'cavra',
          jwks_url: 'https://id.example.com/jwks',
        },
        groups: { G: { approvers: [key] } },
      }),
    ).toEqual([
      {
        path: '/approvals/oidc',
        message:
          'store fleet takes approver-key reviews only: its daemons verify each review again, which an OIDC review kept without its ID token does not allow',
      },
    ]);
    expect(
      issues({ wait_ms: 60_000, expiry: { ci: '24 hours' }, groups: { G: { approvers: [key] } } }),
    ).toEqual([
      { path: '/approvals/wait_ms', message: 'must be <= 50000' },
      { path: '/approvals/expiry/ci', message: 'must match pattern "^[1-9][0-9]{0,5}[smhd]$"' },
    ]);
    expect(issues({ groups: { G: { scopes: ['forever'], approvers: [key] } } })).toEqual([
      {
        path: '/approvals/groups/G/scopes/0',
        message: 'must be one of: once, session, ttl',
      },
    ]);
    expect(issues({})).toEqual([{ path: '/approvals', message: "must have required property 'groups'" }]);
    expect(issues({ groups: { G: { approvers: [key, key] } } })).toEqual([
      { path: '/approvals/groups/G/approvers/1/id', message: 'approver a is listed twice' },
    ]);
    expect(issues({ groups: { 'Release Governance': { threshold: 2, approvers: [key] } } })).toEqual([
      {
        path: '/approvals/groups/Release Governance/threshold',
        message:
          'needs 2 approvers but the group lists 1 and approvals.oidc is not set: no request of this group could ever be approved',
      },
    ]);
  });
});
