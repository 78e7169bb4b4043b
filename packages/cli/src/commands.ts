import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type RuntimeDecision, type RuntimeRequest, toDecisionResponse } from '@cavra/contracts';
import {
  createDecisionExplainer,
  generatePolicySigningKeyPair,
  loadPolicySigningKey,
  PolicyPackError,
  PolicySigningKeyError,
  patternLists,
  type RuleTrial,
  type RuntimeMode,
  signPolicyFile,
  verifyPolicyFile,
} from '@cavra/runtime';
import { CliError, deciding, EXIT } from './cli-error.js';
import { decisionChanges, diffPolicyPacks } from './diff-packs.js';
import { lintPolicyPack } from './lint-pack.js';
import { listEntry } from './list-entry.js';
import { findTestFiles, runPolicyTestFile } from './policy-tests.js';
import { isProtectedPattern } from './protected-set.js';
import { loadKeys, loadPack, readText, readYaml } from './read-input.js';
import { replayEvidence } from './replay-evidence.js';
import { requestFrom } from './request-input.js';

/** Where a command writes its report. */
export interface Output {
  out(text: string): void;
}

const quote = (text: string) => `'${text}'`;
const ruleOf = (decision: RuntimeDecision) => {
  const entry = listEntry(decision.reason);
  return `${decision.decision} by ${decision.ruleId}${entry ? ` (${entry})` : ''}`;
};
const requestLine = (request: RuntimeRequest) =>
  `${request.actionType} ${quote(request.target || request.operation)}`;

export async function validate(io: Output, packs: readonly string[], publicKeys: readonly string[]) {
  const keys = publicKeys.length > 0 ? await loadKeys(publicKeys) : undefined;
  for (const file of packs) {
    const pack = await loadPack(file, keys);
    const rules = patternLists(pack.resolved).reduce((count, [, patterns]) => count + patterns.length, 0);
    io.out(
      `${file}: valid (${pack.id} ${pack.version}, ${rules} patterns, ${pack.digest}${keys ? ', signed' : ''})\n`,
    );
  }
  return EXIT.ok;
}

export async function lint(io: Output, packs: readonly string[], publicKeys: readonly string[]) {
  const keys = publicKeys.length > 0 ? await loadKeys(publicKeys) : undefined;
  let total = 0;
  for (const file of packs) {
    const findings = lintPolicyPack(await loadPack(file, keys));
    total += findings.length;
    io.out(`${file}: ${findings.length === 0 ? 'no findings' : `${findings.length} finding(s)`}\n`);
    for (const finding of findings) {
      const what =
        finding.kind === 'shadowed'
          ? 'an earlier pattern of the same list matches it first'
          : 'a stricter list is checked first';
      io.out(
        `  ${finding.kind}: ${finding.rule} ${quote(finding.pattern)} by ${finding.by} ${quote(finding.byPattern)}: ${what} (e.g. ${quote(finding.example)})\n`,
      );
    }
  }
  return total === 0 ? EXIT.ok : EXIT.failed;
}

export async function test(io: Output, paths: readonly string[]) {
  const files = (await Promise.all((paths.length > 0 ? paths : ['.']).map(findTestFiles))).flat();
  if (files.length === 0)
    throw new CliError(EXIT.invalidInput, `no *.test.yaml files in ${paths.join(', ') || '.'}`);
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const suite = await runPolicyTestFile(file);
    io.out(`${file} (pack ${suite.pack.id} ${suite.pack.version}, ${suite.results.length} tests)\n`);
    for (const result of suite.results) {
      if (result.passed) {
        passed += 1;
        io.out(`  pass  ${result.name}\n`);
        continue;
      }
      failed += 1;
      const { expected, actual } = result;
      const expectedFields = [
        expected.decision,
        ...(expected.rule_id ? [`by ${expected.rule_id}`] : []),
        ...(expected.severity ? [`severity ${expected.severity}`] : []),
        ...(expected.approver_group !== undefined
          ? [`approver group ${quote(expected.approver_group)}`]
          : []),
      ];
      io.out(`  FAIL  ${result.name}\n`);
      io.out(`        expected: ${expectedFields.join(', ')}\n`);
      io.out(
        `        actual:   ${actual.decision}, by ${actual.ruleId}, severity ${actual.severity}, approver group ${quote(actual.approverGroup)}\n`,
      );
      io.out(`        reason:   ${actual.reason}\n`);
    }
  }
  io.out(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? EXIT.ok : EXIT.failed;
}

export async function evaluate(
  io: Output,
  options: { pack: string; request: string; mode: RuntimeMode; explain: boolean; json: boolean },
) {
  const pack = await loadPack(options.pack);
  const text = options.request === '-' ? await readStdin() : options.request;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(EXIT.invalidInput, `request: not JSON (${(error as Error).message})`);
  }
  const request = requestFrom(value, 'request');
  const explainer = createDecisionExplainer(pack, { mode: { mode: options.mode } });
  const explanation = deciding('request', () => explainer.explain(request));
  const { decision } = explanation;
  if (options.json) {
    const response = toDecisionResponse(decision).toJSON();
    io.out(
      `${JSON.stringify(options.explain ? { decision: response, tried: explanation.tried, fallback: explanation.fallback } : response, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  io.out(
    `${decision.decision} by ${decision.ruleId} (severity ${decision.severity}, pack ${pack.id} ${pack.version})\n`,
  );
  io.out(`  ${decision.reason}\n`);
  if (decision.approverGroup) io.out(`  approver group: ${decision.approverGroup}\n`);
  if (!options.explain) return EXIT.ok;
  if (options.mode !== 'enforce') {
    io.out(`mode ${options.mode}: the policy alone decides ${ruleOf(explanation.enforced)}\n`);
  }
  io.out(`rules tried (${explanation.tried.length}), each pattern alone:\n`);
  // The protected set every pack gets is listed only where it applies; the rest is one line.
  const quiet = (trial: RuleTrial) => !trial.outcome && isProtectedPattern(trial.list, trial.pattern);
  for (const trial of explanation.tried) {
    if (quiet(trial)) continue;
    const rule = `${trial.list}[${trial.index}] ${quote(trial.pattern)}`;
    io.out(
      trial.outcome
        ? `  ${trial.decisive ? 'decided' : 'applies'}  ${rule}: ${trial.outcome.decision}: ${trial.outcome.reason}\n`
        : `  no       ${rule}: does not apply\n`,
    );
  }
  const folded = explanation.tried.filter(quiet).length;
  if (folded > 0) io.out(`  no       the runtime's protected set (${folded} patterns): does not apply\n`);
  io.out(
    `with no pattern applying: ${explanation.fallback.decision} by ${explanation.fallback.ruleId}: ${explanation.fallback.reason}\n`,
  );
  return EXIT.ok;
}

export async function diff(
  io: Output,
  options: { from: string; to: string; requests?: string; failOnChange: boolean },
) {
  const [from, to] = await Promise.all([loadPack(options.from), loadPack(options.to)]);
  const changes = diffPolicyPacks(from, to);
  io.out(
    `${options.from} (${from.id} ${from.version}) -> ${options.to} (${to.id} ${to.version}): ${changes.length === 0 ? 'no rule changes' : `${changes.length} setting(s) changed`}\n`,
  );
  for (const change of changes) {
    if (change.added || change.removed || change.reordered) {
      const parts = [
        ...(change.added ?? []).map((item) => `+ ${quote(item)}`),
        ...(change.removed ?? []).map((item) => `- ${quote(item)}`),
        ...(change.reordered ? ['same patterns, new order (rule ids move)'] : []),
      ];
      io.out(`  ${change.path}: ${parts.join('  ')}\n`);
    } else {
      io.out(`  ${change.path}: ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}\n`);
    }
  }
  if (!options.requests) return EXIT.ok;
  const requests = await readRequests(options.requests);
  const changed = decisionChanges(from, to, requests);
  io.out(
    `over ${requests.length} request(s) from ${options.requests}: ${changed.length} decision(s) change\n`,
  );
  for (const change of changed) {
    io.out(`  ${requestLine(change.request)}: ${ruleOf(change.from)} -> ${ruleOf(change.to)}\n`);
  }
  return options.failOnChange && changed.length > 0 ? EXIT.failed : EXIT.ok;
}

export async function replay(
  io: Output,
  options: { pack: string; evidence: string; mode: RuntimeMode; failOnChange: boolean },
) {
  const pack = await loadPack(options.pack);
  const report = replayEvidence(await readText(options.evidence), options.evidence, pack, options.mode);
  io.out(
    `replayed ${report.replayed.length} record(s) of ${options.evidence} with ${pack.id} ${pack.version} (${options.mode}): ${report.changed.length} decision(s) would change\n`,
  );
  for (const entry of report.changed) {
    io.out(
      `  seq ${entry.seq}  ${requestLine(entry.request)}: ${ruleOf(entry.recorded)} -> ${ruleOf(entry.replayed)}\n`,
    );
  }
  if (report.ruleChanged.length > 0) {
    io.out(`same decision, another rule: ${report.ruleChanged.length}\n`);
    for (const entry of report.ruleChanged) {
      io.out(
        `  seq ${entry.seq}  ${requestLine(entry.request)}: ${entry.recorded.ruleId} -> ${entry.replayed.ruleId}\n`,
      );
    }
  }
  for (const [reason, count] of Object.entries(report.skipped)) io.out(`skipped ${count}: ${reason}\n`);
  if (report.tornTail) io.out('skipped the last line: cut short (a write in progress or a crash)\n');
  return options.failOnChange && report.changed.length > 0 ? EXIT.failed : EXIT.ok;
}

export async function keygen(io: Output, options: { privateKey: string; publicKey: string; keyId: string }) {
  const pair = generatePolicySigningKeyPair();
  // `wx`: an existing key is never overwritten; the private key is born readable by its owner only.
  await writeKey(options.privateKey, pair.privateKeyPem, 0o600);
  await writeKey(options.publicKey, pair.publicKeyPem, 0o644);
  io.out(
    `${JSON.stringify(
      {
        schema_version: 'cavra.policy-signing-keypair.v1',
        algorithm: 'Ed25519',
        key_id: options.keyId,
        private_key_path: resolve(options.privateKey),
        public_key_path: resolve(options.publicKey),
        public_key_sha256: pair.publicKeySha256,
      },
      null,
      2,
    )}\n`,
  );
  return EXIT.ok;
}

export async function sign(
  io: Output,
  options: { pack: string; privateKey: string; signer?: string; keyId?: string },
) {
  const privateKey = await keyFile(() => loadPolicySigningKey(options.privateKey));
  await loadPack(options.pack); // an invalid pack is refused, never signed
  const { signatureFile, signature } = await signPolicyFile(options.pack, {
    privateKey,
    ...(options.signer ? { signer: options.signer } : {}),
    ...(options.keyId ? { keyId: options.keyId } : {}),
  });
  io.out(
    `signed ${options.pack}: ${signatureFile} (key_id ${signature.key_id}, public_key_sha256 ${signature.public_key_sha256})\n`,
  );
  return EXIT.ok;
}

export async function verify(
  io: Output,
  options: { pack: string; publicKeys: readonly string[]; signature?: string },
) {
  const keys = await loadKeys(options.publicKeys);
  try {
    const verified = await verifyPolicyFile(options.pack, keys, options.signature);
    io.out(
      `verified ${options.pack}: signed by key_id ${verified.keyId} (signer ${verified.signer}) with ${verified.trustedKey}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof PolicyPackError && error.code !== 'io' && error.code !== 'invalid_pack') {
      throw new CliError(EXIT.failed, error.message);
    }
    throw error instanceof PolicyPackError ? new CliError(EXIT.invalidPack, error.message) : error;
  }
}

async function keyFile<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof PolicySigningKeyError) throw new CliError(EXIT.invalidInput, error.message);
    throw error;
  }
}

async function writeKey(path: string, pem: string, mode: number): Promise<void> {
  try {
    await writeFile(path, pem, { flag: 'wx', mode });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      EXIT.invalidInput,
      code === 'EEXIST'
        ? `${path}: already exists; keys are never overwritten`
        : `${path}: cannot write (${code})`,
    );
  }
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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new CliError(EXIT.invalidInput, 'request: larger than 1 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
