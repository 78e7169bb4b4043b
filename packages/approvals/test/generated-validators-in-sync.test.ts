import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');

it('the checked-in validators are what `pnpm generate` produces from the schemas', () => {
  const output = execFileSync(
    process.execPath,
    [join(repoRoot, 'tooling/generate-validators.mjs'), '--check', 'packages/approvals'],
    { encoding: 'utf8' },
  );
  expect(output.trim()).toBe(
    'generated validators are in sync with the schemas of packages/approvals (2 files)',
  );
});
