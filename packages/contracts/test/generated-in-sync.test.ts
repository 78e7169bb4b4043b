import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');

it('the checked-in generated code is what `pnpm generate` produces from the proto', () => {
  const output = execFileSync(
    process.execPath,
    [join(repoRoot, 'tooling/generate-contracts.mjs'), '--check'],
    {
      encoding: 'utf8',
    },
  );
  expect(output.trim()).toBe(
    'generated contract code is in sync with proto/cavra/enforcement/v1/enforcement.proto (4 files)',
  );
});
