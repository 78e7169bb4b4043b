import type { RuntimeRequest } from '@cavra/contracts';
import {
  type CompiledPolicyPack,
  createDecisionExplainer,
  type DecisionExplanation,
  type PolicyPackDocument,
  type RuleTrial,
  type RuntimeMode,
} from '@cavra/runtime';
import { CliError, EXIT } from './cli-error.js';
import { deciding } from './deciding.js';
import { type DecisionChange, decisionChanges, diffPolicyPacks, type RuleChange } from './diff-packs.js';
import { type AcknowledgedLint, acknowledgeFindings } from './lint-acknowledgements.js';
import { lintPolicyPack } from './lint-pack.js';
import { packFile } from './pack-reference.js';
import { findTestFiles, type PolicyTestFileResult, runPolicyTestFile } from './policy-tests.js';
import { loadKeys, loadPack, readText, readYaml } from './read-input.js';
import { type ReplayReport, replayEvidence } from './replay-evidence.js';
import { requestFrom } from './request-input.js';

// What each command finds, as values: the commands compute these, renderers (text, JSON, JUnit) print them, and the
// exit code is read from them.

/** A pack as a report names it: the argument given, and what it loaded. */
export interface PackSummary {
  readonly file: string;
  readonly id: string;
  readonly version: string;
  readonly digest: string;
}

/** `cavra policy lint`: per pack, its open findings, those it acknowledges, and acknowledgements that cover none. */
export interface LintReport {
  readonly packs: readonly (PackSummary & AcknowledgedLint)[];
}

/** `cavra policy test`: every test file's results. */
export interface TestReport {
  readonly files: readonly PolicyTestFileResult[];
  /** Tests passed and failed, over every file. */
  readonly passed: number;
  readonly failed: number;
}

/** `cavra policy diff`: settings changed from one pack to the other and, over a requests file, decisions changed. */
export interface DiffReport {
  /** The first pack (A). */
  readonly from: PackSummary;
  /** The second pack (B). */
  readonly to: PackSummary;
  /** Settings of B's resolved pack that differ from A's. */
  readonly changes: readonly RuleChange[];
  /** With a requests file: its requests whose decision or rule differs. */
  readonly requests?: {
    readonly file: string;
    readonly count: number;
    readonly changes: readonly DecisionChange[];
  };
}

/** `cavra policy replay`: an evidence log decided again with a candidate pack. */
export interface ReplayRun extends ReplayReport {
  /** The candidate pack. */
  readonly pack: PackSummary;
  /** The evidence log's path. */
  readonly evidence: string;
  /** The mode the candidate decided in. */
  readonly mode: RuntimeMode;
}

/** `cavra eval`: one request, its decision and why. */
export interface EvalReport {
  readonly pack: PackSummary;
  readonly mode: RuntimeMode;
  /** The request as decided (defaults filled). */
  readonly request: RuntimeRequest;
  /** The decision, and the patterns tried to explain it. */
  readonly explanation: DecisionExplanation;
}

const summary = (file: string, pack: CompiledPolicyPack): PackSummary => ({
  file,
  id: pack.id,
  version: pack.version,
  digest: pack.digest,
});

/** Lints each pack, applying the acknowledgements of its own file (`lint.acknowledge`; a parent's are its own). */
export async function lintPacks(
  files: readonly string[],
  publicKeys: readonly string[],
): Promise<LintReport> {
  const keys = publicKeys.length > 0 ? await loadKeys(publicKeys) : undefined;
  const packs = [];
  for (const file of files) {
    const pack = await loadPack(file, keys);
    // The file loaded and passed the schema: its `lint` section, if any, is well formed. (The compiled JSON form
    // holds none.)
    const document = (await readYaml(packFile(file))) as Partial<PolicyPackDocument>;
    packs.push({
      ...summary(file, pack),
      ...acknowledgeFindings(lintPolicyPack(pack), document.lint?.acknowledge ?? []),
    });
  }
  return { packs };
}

/** Whether a lint passes: no open finding and no acknowledgement that covers nothing. */
export const lintPassed = (report: LintReport) =>
  report.packs.every((pack) => pack.findings.length === 0 && pack.unused.length === 0);

/** Runs the test files the paths name (see findTestFiles); default the working folder. */
export async function runPolicyTests(paths: readonly string[]): Promise<TestReport> {
  const files = (await Promise.all((paths.length > 0 ? paths : ['.']).map(findTestFiles))).flat();
  if (files.length === 0)
    throw new CliError(EXIT.invalidInput, `no *.test.yaml files in ${paths.join(', ') || '.'}`);
  const results: PolicyTestFileResult[] = [];
  for (const file of files) results.push(await runPolicyTestFile(file));
  const tests = results.flatMap((result) => result.results);
  const passed = tests.filter((test) => test.passed).length;
  return { files: results, passed, failed: tests.length - passed };
}

/** Compares two packs (files or shipped ids) and, given a requests file, their decisions on it. */
export async function diffPacks(options: {
  from: string;
  to: string;
  requests?: string;
}): Promise<DiffReport> {
  const [from, to] = await Promise.all([loadPack(options.from), loadPack(options.to)]);
  const report = {
    from: summary(options.from, from),
    to: summary(options.to, to),
    changes: diffPolicyPacks(from, to),
  };
  if (!options.requests) return report;
  const requests = await readRequests(options.requests);
  return {
    ...report,
    requests: {
      file: options.requests,
      count: requests.length,
      changes: decisionChanges(from, to, requests),
    },
  };
}

/** Decides an evidence log's requests again with a candidate pack (see replayEvidence). */
export async function replayPack(options: {
  pack: string;
  evidence: string;
  mode: RuntimeMode;
}): Promise<ReplayRun> {
  const pack = await loadPack(options.pack);
  const report = replayEvidence(await readText(options.evidence), options.evidence, pack, options.mode);
  return { ...report, pack: summary(options.pack, pack), evidence: options.evidence, mode: options.mode };
}

/** Decides one request given as JSON text. */
export async function evaluateRequest(options: {
  pack: string;
  request: string;
  mode: RuntimeMode;
}): Promise<EvalReport> {
  const pack = await loadPack(options.pack);
  let value: unknown;
  try {
    value = JSON.parse(options.request);
  } catch (error) {
    throw new CliError(EXIT.invalidInput, `request: not JSON (${(error as Error).message})`);
  }
  const request = requestFrom(value, 'request');
  const explainer = createDecisionExplainer(pack, { mode: { mode: options.mode } });
  const explanation = deciding('request', () => explainer.explain(request));
  return { pack: summary(options.pack, pack), mode: options.mode, request, explanation };
}

/** A requests file: a YAML or JSON list of requests, or a test file (its tests' requests). */
async function readRequests(file: string): Promise<RuntimeRequest[]> {
  const value = await readYaml(file);
  const list = Array.isArray(value)
    ? value
    : Array.isArray((value as { tests?: unknown })?.tests)
      ? (value as { tests: { request?: unknown }[] }).tests.map((test) => test?.request)
      : undefined;
  if (!list) throw new CliError(EXIT.invalidInput, `${file}: expected a list of requests or a test file`);
  return list.map((item, index) => requestFrom(item, `${file}: /${index}`));
}

/** What `--explain` shows: the patterns that apply (the one that decided among them), or with `all` every one. */
export function shownTrials(tried: readonly RuleTrial[], all: boolean): readonly RuleTrial[] {
  return all ? tried : tried.filter((trial) => trial.matched || trial.decisive);
}
