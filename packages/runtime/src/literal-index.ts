/**
 * Candidate patterns for a first-match-wins list, so a lookup costs about the same at 10 patterns as at 10,000.
 * Each pattern names literal pieces that occur in every text it can match; the index files it under one
 * three-character piece of those (the rarest in the list), and a text's candidates are the patterns filed under a
 * piece the text contains, plus every pattern with no such piece. Testing only the candidates, in ascending order,
 * finds the same first match as testing every pattern: a pattern left out cannot match.
 */
export interface LiteralIndex {
  /** Ascending indices of the patterns that may match `text` (already folded as the pieces were). */
  candidates(text: string): readonly number[];
}

const GRAM = 3;
// Below this many patterns, trying each in turn is cheaper than reading the text's pieces.
const SMALL_LIST = 16;

/**
 * `required[i]` holds pieces each of which occurs in any text pattern `i` matches, or is undefined when nothing
 * is known about pattern `i` (it is then a candidate for every text).
 */
export function createLiteralIndex(required: readonly (readonly string[] | undefined)[]): LiteralIndex {
  const all = required.map((_, index) => index);
  if (required.length < SMALL_LIST) return { candidates: () => all };
  const gramsOf = required.map((pieces) => {
    const grams = new Set<number>();
    for (const piece of pieces ?? []) {
      for (let at = 0; at + GRAM <= piece.length; at += 1) grams.add(gramAt(piece, at));
    }
    return grams;
  });
  const frequency = new Map<number, number>();
  for (const grams of gramsOf) for (const gram of grams) frequency.set(gram, (frequency.get(gram) ?? 0) + 1);
  const buckets = new Map<number, number[]>();
  const unkeyed: number[] = [];
  gramsOf.forEach((grams, index) => {
    let rarest: number | undefined;
    for (const gram of grams) {
      if (rarest === undefined || (frequency.get(gram) as number) < (frequency.get(rarest) as number))
        rarest = gram;
    }
    if (rarest === undefined) unkeyed.push(index);
    else {
      const bucket = buckets.get(rarest);
      if (bucket) bucket.push(index);
      else buckets.set(rarest, [index]);
    }
  });
  return {
    candidates(text) {
      let found: number[] | undefined;
      let seen: Set<number[]> | undefined;
      for (let at = 0; at + GRAM <= text.length; at += 1) {
        const bucket = buckets.get(gramAt(text, at));
        if (bucket === undefined) continue;
        if (found === undefined) {
          found = [...unkeyed, ...bucket];
          seen = new Set([bucket]);
        } else if (!seen?.has(bucket)) {
          seen?.add(bucket);
          found.push(...bucket);
        }
      }
      if (found === undefined) return unkeyed;
      // Buckets are ascending on their own; a sort is only needed once two sources are merged.
      if ((seen?.size ?? 0) + (unkeyed.length > 0 ? 1 : 0) > 1) found.sort((a, b) => a - b);
      return found;
    },
  };
}

// Three UTF-16 units packed in one number (48 bits): a cheaper map key than a sliced string.
function gramAt(text: string, at: number): number {
  return text.charCodeAt(at) * 4294967296 + text.charCodeAt(at + 1) * 65536 + text.charCodeAt(at + 2);
}
