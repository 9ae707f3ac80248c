// Rules look behind their trigger ("verb … [trigger]") so that they start on a rare word, but a look-behind is the
// costly part of a failed test: it is matched backwards over a few words, trying its alternation of verbs at each.
// Where what follows the trigger is the more selective part (the trigger word and the nouns after it), testing that
// first rejects most hits before the look-behind runs. `(?<=L)R` and `(?=R)(?<=L)R` match the same text with the same
// end: the look-ahead only asks that R can match here, then the original runs unchanged.

/** Index just past the group that opens at `open` (a `(`), skipping escapes and character classes. */
function groupEnd(source: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** The top-level alternatives of `source` (split at `|` outside groups and classes). */
function alternatives(source: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '(' || c === '[') {
      const end = c === '(' ? groupEnd(source, i) : classEnd(source, i);
      if (end < 0) return [source];
      i = end - 1;
    } else if (c === '|') {
      out.push(source.slice(from, i));
      from = i + 1;
    }
  }
  out.push(source.slice(from));
  return out;
}

function classEnd(source: string, open: number): number {
  for (let i = open + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i + 1;
  }
  return -1;
}

const LOOKBEHIND = /^\(\?<[=!]/;

/** One alternative with its leading look-behinds moved behind a look-ahead for the rest. */
function alternativeFilterFirst(alternative: string): string {
  let restAt = 0;
  while (LOOKBEHIND.test(alternative.slice(restAt))) {
    const end = groupEnd(alternative, restAt);
    if (end < 0) return alternative;
    restAt = end;
  }
  const rest = alternative.slice(restAt);
  // Nothing to test first, or the rest is already led by a look-around of its own.
  if (
    restAt === 0 ||
    rest === '' ||
    rest.startsWith('(?=') ||
    rest.startsWith('(?!') ||
    LOOKBEHIND.test(rest)
  )
    return restAt === 0 ? wrappedFilterFirst(alternative) : alternative;
  return `(?=${rest})${alternative}`;
}

/** `(?:A|B)…` as a whole alternative: each of A, B gets its look-behinds moved. */
function wrappedFilterFirst(alternative: string): string {
  if (!alternative.startsWith('(?:')) return alternative;
  const end = groupEnd(alternative, 0);
  if (end < 0) return alternative;
  const inner = alternative.slice(3, end - 1);
  const moved = alternatives(inner).map(alternativeFilterFirst).join('|');
  return `(?:${moved})${alternative.slice(end)}`;
}

/**
 * Patterns that refer to their own groups: copying a pattern (here) or joining several (the rule sets' alternations)
 * would renumber the groups they refer to.
 */
const REFERS_TO_GROUPS = /\\[1-9]|\\k<|\(\?<[A-Za-z_$]/;

/**
 * `source` with each top-level alternative (also those of a leading `(?:…|…)`) that starts with look-behinds
 * rewritten to test what follows them first. Matches exactly what `source` matches.
 */
export function lookbehindLast(source: string): string {
  if (REFERS_TO_GROUPS.test(source)) return source;
  return alternatives(source).map(alternativeFilterFirst).join('|');
}
