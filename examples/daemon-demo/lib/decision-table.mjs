import { styleText } from 'node:util';

const COLOURS = {
  allow: 'green',
  allow_with_attestation: 'green',
  warn: 'yellow',
  audit_only: 'cyan',
  require_approval: 'yellow',
  block: 'red',
};

/** Colour only for a terminal that wants it (NO_COLOR, FORCE_COLOR and pipes are respected). */
function painter(stream) {
  const enabled = process.env.FORCE_COLOR
    ? process.env.FORCE_COLOR !== '0'
    : !process.env.NO_COLOR && stream.isTTY;
  return (style, text) => (enabled ? styleText(style, text) : text);
}

// Fits a cell into `width` columns, one of them a separating space.
const cut = (text, width) => (text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text).padEnd(width);

/** Renders decisions as a table: one row per decision, its reason dimmed underneath. */
export function decisionTable(title, decisions, stream = process.stdout) {
  const paint = painter(stream);
  const lines = [paint('bold', title)];
  lines.push(
    paint(
      'dim',
      `${'#'.padStart(3)}  ${'decision'.padEnd(18)}${'action'.padEnd(27)}${'target'.padEnd(38)}rule`,
    ),
  );
  decisions.forEach((decision, index) => {
    const verdict = paint(COLOURS[decision.decision] ?? 'white', cut(decision.decision, 18));
    lines.push(
      `${String(index + 1).padStart(3)}  ${verdict}${cut(decision.action_type, 27)}${cut(decision.target, 38)}${decision.rule_id}`,
    );
    lines.push(paint('dim', `     ${decision.reason}`));
  });
  return `${lines.join('\n')}\n`;
}
