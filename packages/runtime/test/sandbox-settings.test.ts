import { describe, expect, it } from 'vitest';
import {
  loadBaselinePack,
  PolicyPackError,
  parsePolicyPack,
  sandboxPathRule,
  sandboxSettings,
} from '../src/index.js';

const baseline = await loadBaselinePack();

describe('sandboxPathRule: the baseline pack over paths on disk', () => {
  it.each([
    ['/w/repo/.env', false, { denyRead: true, denyWrite: true }],
    ['/home/u/.ssh', true, { denyRead: true, denyWrite: true }],
    ['/home/u/.aws/credentials', false, { denyRead: true, denyWrite: false }],
    ['/w/repo/.git', true, { denyRead: false, denyWrite: true }],
    ['/w/repo/node_modules', true, { denyRead: false, denyWrite: true }],
    ['/w/repo/package.json', false, { denyRead: false, denyWrite: true }],
    ['/w/repo/.github/workflows', true, { denyRead: false, denyWrite: true }],
    ['/w/repo/src', true, { denyRead: false, denyWrite: false }],
    ['/w/repo/src/index.ts', false, { denyRead: false, denyWrite: false }],
    ['/w/repo/dist', true, { denyRead: false, denyWrite: false }],
  ])('%s (directory: %s)', (path, isDirectory, rule) => {
    expect(sandboxPathRule(baseline, path, isDirectory)).toEqual(rule);
  });
});

describe('sandboxSettings', () => {
  it('writes only in the tree and the extra paths, minus what is protected there; network only to the domains', () => {
    expect(
      sandboxSettings({
        pack: baseline,
        sandbox: {
          confine_commands: true,
          allowed_domains: ['registry.npmjs.org', '*.github.com:443'],
          allow_write: ['~/.cache/tool', '/var/tmp/build/'],
        },
        workingTree: '/w/repo/',
        home: '/home/u',
        denyRead: ['/w/repo/.env', '/home/u/.ssh'],
        // Outside every writable place: left out, it is read-only already.
        denyWrite: ['/w/repo/.env', '/w/repo/package.json', '/home/u/.ssh'],
      }),
    ).toEqual({
      network: { allowedDomains: ['registry.npmjs.org', '*.github.com:443'], deniedDomains: [] },
      filesystem: {
        denyRead: ['/home/u/.ssh', '/w/repo/.env'],
        allowRead: [],
        allowWrite: ['/home/u/.cache/tool', '/var/tmp/build', '/w/repo'],
        // package.json as found on disk; the others because block_write names them literally, so they are
        // protected before they exist.
        denyWrite: [
          '/w/repo/.env',
          '/w/repo/.git',
          '/w/repo/.github/workflows',
          '/w/repo/.ssh',
          '/w/repo/backend.tf',
          '/w/repo/main.tf',
          '/w/repo/package.json',
          '/w/repo/providers.tf',
        ],
      },
    });
  });
});

describe('the sandbox section of a pack', () => {
  it('is read with the pack', () => {
    const pack = parsePolicyPack(
      'metadata: {id: p, version: "1"}\nsandbox:\n  confine_commands: true\n  allowed_domains: [registry.npmjs.org]\n',
    );
    expect(pack.sandbox).toEqual({ confine_commands: true, allowed_domains: ['registry.npmjs.org'] });
  });

  it.each([
    ['a domain with a path', 'sandbox: {allowed_domains: ["example.com/x"]}', '/sandbox/allowed_domains/0'],
    ['a relative writable path', 'sandbox: {allow_write: ["cache"]}', '/sandbox/allow_write/0'],
    ['a glob as writable path', 'sandbox: {allow_write: ["/tmp/*"]}', '/sandbox/allow_write/0'],
    ['an unknown key', 'sandbox: {allow_read: ["/x"]}', '/sandbox/allow_read'],
  ])('refuses %s', (_name, section, where) => {
    const error = (() => {
      try {
        parsePolicyPack(`metadata: {id: p, version: "1"}\n${section}\n`);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(PolicyPackError);
    expect((error as PolicyPackError).issues.map((issue) => issue.path)).toContain(where);
  });
});
