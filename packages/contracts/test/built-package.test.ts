// Tests of the built package (dist/), as a consumer loads it: both builds in one process, and a bundler importing
// one helper.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
type Contracts = typeof import('../src/index.js');
const esm: Contracts = await import(join(packageDir, 'dist/index.js'));
const cjs: Contracts = createRequire(import.meta.url)(join(packageDir, 'dist/index.cjs'));

describe('with the ESM and CJS builds both loaded', () => {
  it('instanceof ContractValidationError holds across them, both ways', () => {
    expect(esm.ContractValidationError).not.toBe(cjs.ContractValidationError);
    const fromCjs = new cjs.ContractValidationError('EvaluateRequest', []);
    const fromEsm = new esm.ContractValidationError('EvaluateRequest', []);
    expect(fromCjs instanceof esm.ContractValidationError).toBe(true);
    expect(fromEsm instanceof cjs.ContractValidationError).toBe(true);
    expect(new Error('x') instanceof esm.ContractValidationError).toBe(false);
    expect((null as unknown as object) instanceof esm.ContractValidationError).toBe(false);
    expect({ name: 'ContractValidationError' } instanceof esm.ContractValidationError).toBe(false);
  });

  it('a subclass keeps the ordinary prototype check', () => {
    class Narrower extends esm.ContractValidationError {}
    expect(new Narrower('EvaluateRequest', []) instanceof cjs.ContractValidationError).toBe(true);
    expect(new esm.ContractValidationError('EvaluateRequest', []) instanceof Narrower).toBe(false);
  });
});

describe('a bundler keeps only what an import reaches', () => {
  // A consumer project resolving the package through node_modules, where the bundler reads its "sideEffects".
  const consumer = mkdtempSync(join(tmpdir(), 'cavra-contracts-consumer-'));
  mkdirSync(join(consumer, 'node_modules/@cavra'), { recursive: true });
  symlinkSync(packageDir, join(consumer, 'node_modules/@cavra/contracts'), 'dir');
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  async function bundledBytes(source: string): Promise<number> {
    const result = await build({
      stdin: { contents: source, resolveDir: consumer, loader: 'js' },
      bundle: true,
      minify: true,
      write: false,
      format: 'esm',
      platform: 'node',
      logLevel: 'silent',
    });
    return result.outputFiles[0]?.contents.byteLength ?? Number.NaN;
  }

  it('import { isDecision } leaves out the protobuf code', async () => {
    // One bundle held the generated protobuf code and protobufjs whatever was imported: 83 KB for this line.
    expect(
      await bundledBytes("import { isDecision } from '@cavra/contracts'; console.log(isDecision('allow'));"),
    ).toBeLessThan(1024);
  });

  it('the codecs still bring the protobuf code they need', async () => {
    expect(
      await bundledBytes(
        "import { EvaluateRequestCodec } from '@cavra/contracts'; console.log(EvaluateRequestCodec);",
      ),
    ).toBeGreaterThan(50_000);
  });
});
