import type { TestReport } from './reports.js';

// `cavra policy test --junit`: JUnit XML as CI systems read it (GitLab, Jenkins, GitHub test reporters): one
// <testsuite> per test file, one <testcase> per test, a <failure> with what was expected and what came.

/**
 * Text as XML character data or attribute value: the five markup characters escaped, and characters XML 1.0 cannot
 * hold (control characters, lone surrogates, U+FFFE/U+FFFF) written as `\u{…}` so that nothing is lost and the
 * document still parses.
 */
export function xmlText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 refuses.
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`,
    );
}

/** `cavra policy test --junit`: the report as JUnit XML. */
export function testJunit(report: TestReport): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cavra policy test" tests="${report.passed + report.failed}" failures="${report.failed}">`,
  ];
  for (const suite of report.files) {
    const failures = suite.results.filter((result) => !result.passed).length;
    lines.push(
      `  <testsuite name="${xmlText(suite.file)}" tests="${suite.results.length}" failures="${failures}">`,
      `    <properties><property name="pack" value="${xmlText(`${suite.pack.id} ${suite.pack.version}`)}"/></properties>`,
    );
    for (const result of suite.results) {
      const open = `    <testcase classname="${xmlText(suite.file)}" name="${xmlText(result.name)}"`;
      if (result.passed) {
        lines.push(`${open}/>`);
        continue;
      }
      const { expected, actual } = result;
      const message = `expected ${expected.decision}, got ${actual.decision} by ${actual.ruleId}`;
      const detail = [
        `expected: ${JSON.stringify(expected)}`,
        `actual: decision ${actual.decision}, rule ${actual.ruleId}, severity ${actual.severity}, approver group '${actual.approverGroup}'`,
        `reason: ${actual.reason}`,
      ].join('\n');
      lines.push(
        `${open}>`,
        `      <failure message="${xmlText(message)}" type="decision">${xmlText(detail)}</failure>`,
        '    </testcase>',
      );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
