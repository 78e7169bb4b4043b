import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RuntimeDecision } from '@cavra/contracts';
import { createEngine, issuePositions, issueText, type RuntimeMode, schemaIssues } from '@cavra/runtime';
import schema from '../schema/policy-test.schema.json' with { type: 'json' };
import { CliError, EXIT } from './cli-error.js';
import { deciding } from './deciding.js';
import { policyTest as validate } from './generated/policy-test-validator.js';
import { packFile } from './pack-reference.js';
import { loadPack, parseYaml, readText } from './read-input.js';
import { requestFrom } from './request-input.js';

/** What a test expects of the decision; fields left out are not checked. */
export interface ExpectedDecision {
  readonly decision: string;
  readonly rule_id?: string;
  readonly severity?: string;
  readonly approver_group?: string;
}

/** The outcome of one test. */
export interface PolicyTestResult {
  readonly name: string;
  readonly passed: boolean;
  readonly expected: ExpectedDecision;
  readonly actual: RuntimeDecision;
}

/** The outcome of one test file. */
export interface PolicyTestFileResult {
  readonly file: string;
  readonly pack: { readonly id: string; readonly version: string; readonly file: string };
  readonly results: readonly PolicyTestResult[];
}

const TEST_SUFFIXES = ['.test.yaml', '.test.yml'];
const PACK_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Runs a test file (see schema/policy-test.schema.json): each request decided by the pack, compared with what the
 * test expects. The pack is `pack:` (relative to the test file) or the pack beside it with the same name
 * (`team.test.yaml` tests `team.yaml`, `.yml` or `.json`). Throws CliError: invalid test file (4), invalid pack (3).
 */
export async function runPolicyTestFile(file: string): Promise<PolicyTestFileResult> {
  const text = await readText(file);
  const value = parseYaml(text, file);
  if (!validate(value)) {
    const issues = issuePositions(text, schemaIssues(validate.errors, schema)).map(issueText);
    throw new CliError(EXIT.invalidInput, `${file}: ${issues.join('; ')}`);
  }
  const suite = value as unknown as {
    pack?: string;
    mode?: RuntimeMode;
    tests: { name: string; request: unknown; expect: ExpectedDecision }[];
  };
  const names = new Set<string>();
  suite.tests.forEach((test, index) => {
    if (names.has(test.name)) {
      throw new CliError(EXIT.invalidInput, `${file}: /tests/${index}/name: '${test.name}' is used twice`);
    }
    names.add(test.name);
  });
  const packPath = suite.pack ? packFile(suite.pack, dirname(file)) : await packBeside(file);
  const pack = await loadPack(packPath);
  const requests = suite.tests.map((test, index) =>
    requestFrom(test.request, `${file}: /tests/${index}/request`),
  );
  const engine = createEngine({ packs: [pack], mode: { mode: suite.mode ?? 'enforce' } });
  const results = suite.tests.map((test, index): PolicyTestResult => {
    const request = requests[index] as (typeof requests)[number];
    const actual = deciding(`${file}: /tests/${index}/request`, () =>
      engine.evaluate({ ...request, policyPack: pack.id }),
    );
    const { expect } = test;
    const passed =
      actual.decision === expect.decision &&
      (expect.rule_id === undefined || actual.ruleId === expect.rule_id) &&
      (expect.severity === undefined || actual.severity === expect.severity) &&
      (expect.approver_group === undefined || actual.approverGroup === expect.approver_group);
    return { name: test.name, passed, expected: expect, actual };
  });
  return { file, pack: { id: pack.id, version: pack.version, file: packPath }, results };
}

/** The test files a path names: a test file itself, the test file beside a pack, or every test file in a folder. */
export async function findTestFiles(path: string): Promise<string[]> {
  const stats = await stat(path).catch(() => undefined);
  if (!stats) throw new CliError(EXIT.invalidInput, `${path}: no such file or folder`);
  if (stats.isDirectory()) {
    return (await readdir(path))
      .filter((name) => TEST_SUFFIXES.some((suffix) => name.endsWith(suffix)))
      .sort()
      .map((name) => join(path, name));
  }
  if (TEST_SUFFIXES.some((suffix) => path.endsWith(suffix))) return [path];
  const stem = path.replace(/\.(ya?ml|json)$/, '');
  for (const suffix of TEST_SUFFIXES) {
    if (await isFile(`${stem}${suffix}`)) return [`${stem}${suffix}`];
  }
  throw new CliError(EXIT.invalidInput, `${path}: no ${basename(stem)}.test.yaml beside it`);
}

async function packBeside(testFile: string): Promise<string> {
  const stem = testFile.replace(/\.test\.ya?ml$/, '');
  for (const extension of PACK_EXTENSIONS) {
    if (await isFile(`${stem}${extension}`)) return `${stem}${extension}`;
  }
  throw new CliError(
    EXIT.invalidInput,
    `${testFile}: names no pack and there is no ${basename(stem)}.yaml, .yml or .json beside it`,
  );
}

function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );
}
