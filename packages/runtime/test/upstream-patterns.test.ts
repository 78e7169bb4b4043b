import { describe, expect, it } from 'vitest';
import { compilePolicyPack, createEngine, parsePolicyPack, upstreamPatternMatcher } from '../src/index.js';
import { request } from './support/engine.js';

// Upstream's reading written as the regex upstream builds, to check the linear matcher against.
function reference(pattern: string, value: string, nocase = false): boolean {
  const source = pattern
    .split(/\*+/)
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, `s${nocase ? 'i' : ''}`).test(value);
}

describe('upstreamPatternMatcher', () => {
  it.each([
    ['terraform apply*', 'terraform apply -auto-approve', true],
    ['terraform apply*', 'terraform apply', true],
    ['terraform apply*', 'terraform applyx', true],
    ['terraform apply*', 'terraform plan', false],
    ['**/secrets.*', 'config/secrets.yaml', true],
    ['**/secrets.*', 'secrets.yaml', false],
    ['iam/**', 'iam/a/b.tf', true],
    ['kubectl apply*--context*prod*', 'kubectl apply -f x.yaml --context prod', true],
    ['kubectl apply*--context*prod*', 'kubectl apply -f prod.yaml --context dev', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['ab*ba', 'aba', false],
    ['*', '', true],
    ['.env', '.env', true],
    ['.env', 'x.env', false],
  ])('%s matches %j: %s', (pattern, value, expected) => {
    expect(upstreamPatternMatcher(pattern)(value)).toBe(expected);
    expect(reference(pattern, value)).toBe(expected);
  });

  it('agrees with the regex reading on random patterns and values, with and without case', () => {
    let seed = 7;
    const next = (bound: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % bound;
    };
    const word = (alphabet: string, length: number) =>
      Array.from({ length }, () => alphabet.charAt(next(alphabet.length))).join('');
    for (let round = 0; round < 5000; round += 1) {
      const pattern = word('aAb*/.', next(7));
      const value = word('aAb/.', next(9));
      for (const nocase of [false, true]) {
        expect([pattern, value, nocase, upstreamPatternMatcher(pattern, { nocase })(value)]).toEqual([
          pattern,
          value,
          nocase,
          reference(pattern, value, nocase),
        ]);
      }
    }
  });
});

describe('command patterns in upstream packs', () => {
  const pack = compilePolicyPack(
    parsePolicyPack(`
metadata: {id: stars, title: Stars, version: "1"}
commands:
  block: ["terraform apply*", "rm -rf /*"]
  allow: ["terraform plan*", "ls *", "pwd"]
`),
  );
  const engine = createEngine({ packs: [pack], ids: () => 'id' });
  const decide = (command: string) => {
    const decision = engine.evaluate(request('execute_command', command, { policy_pack: 'stars' }));
    return [decision.decision, decision.ruleId];
  };

  it('read a star as any characters over the whole command', () => {
    expect(decide('terraform apply -auto-approve')).toEqual(['block', 'commands.block']);
    expect(decide('rm -rf /home/dev')).toEqual(['block', 'commands.block']);
    expect(decide('terraform plan -out=tf.plan')).toEqual(['allow', 'commands.allow']);
  });

  it('never let an allow pattern cover a second command', () => {
    expect(decide('terraform plan; python3 x.py')).toEqual([
      'require_approval',
      'commands.default.require_approval',
    ]);
    expect(decide('terraform plan && terraform apply')).toEqual(['block', 'commands.block']);
    // Upstream allows what the first part's pattern covers, and so do we when every other part is allowed too.
    expect(decide('ls -la && terraform plan')).toEqual(['allow', 'commands.allow']);
    expect(decide('terraform plan || ls')).toEqual(['require_approval', 'commands.default.require_approval']);
    // Every part allowed, but the whole command matches no allow pattern as upstream reads it: ask, as upstream.
    expect(decide('pwd && ls -la')).toEqual(['require_approval', 'commands.default.require_approval']);
  });

  it('read an allow pattern ending in " *" as upstream does: the prefix alone is not covered', () => {
    expect(decide('ls')).toEqual(['require_approval', 'commands.default.require_approval']);
  });
});
