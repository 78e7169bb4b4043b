import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { pointerSegments, type SchemaIssue } from './schema-issues.js';

/**
 * Adds the line and column (1-based) of each issue's path in the YAML (or JSON) text the document came from: the
 * key's position when the path ends at a key of a mapping (an unknown key, a value of the wrong type), the item's when
 * it ends in a list. A path the text does not hold (behind an alias, or a missing root) keeps no position.
 */
export function issuePositions(text: string, issues: readonly SchemaIssue[]): SchemaIssue[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  return issues.map((issue) => {
    const offset = offsetOf(document.contents as Node | null, pointerSegments(issue.path));
    if (offset === undefined) return issue;
    const { line, col } = lineCounter.linePos(offset);
    return { ...issue, line, column: col };
  });
}

function offsetOf(root: Node | null, segments: readonly string[]): number | undefined {
  let node: unknown = root;
  let offset = root?.range?.[0];
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => String((item.key as { value?: unknown } | null)?.value) === segment,
      );
      if (!pair) return undefined;
      offset = (pair.key as Node | null)?.range?.[0];
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)];
      offset = (node as Node | undefined)?.range?.[0];
    } else {
      return undefined;
    }
  }
  return offset;
}
