/**
 * Redis glob patterns (`KEYS`, `SCAN MATCH`) for stores that are not Redis.
 *
 * The translation mirrors the parser of Redis's `stringmatchlen()` step by step, quirks included,
 * so that one pattern selects the same keys in every store:
 *
 * - `*` matches any sequence, including the empty one and `:`; `?` matches one character.
 * - `[abc]`, `[a-z]` and `[^…]` are sets. A reversed range (`[z-a]`) is swapped. `]` right after
 *   `[` (or `[^`) closes the set, so `[]` matches nothing and `[^]` matches any one character.
 *   The range test comes before the search for `]`, so `[a-]` is the range `]`–`a`, not `a` or
 *   `-`. A `\` inside a set makes the next character literal.
 * - A set that is never closed runs to the end of the pattern (Redis does the same).
 * - `\x` matches `x` literally; a trailing lone `\` matches a backslash.
 * - Everything else, regex metacharacters included, is literal.
 * - The empty key is matched only by the empty pattern and by `*` alone: `stringmatchlen()` never
 *   matches an empty string against a non-empty pattern, but `SCAN`/`KEYS` short-circuit `*`.
 *
 * Redis compares bytes, whereas the expression works on Unicode code points: for ASCII keys and
 * patterns the results are identical, but `?` matches one non-ASCII character where Redis would
 * need one `?` per UTF-8 byte.
 *
 * @module
 */

/** Characters that must be backslash-escaped to stand for themselves outside a regex set. */
const REGEX_META = /[\\^$.*+?()[\]{}|/]/;

/**
 * Compiles a Redis glob into an anchored regular expression that matches exactly the strings
 * Redis's `stringmatchlen()` matches (see the module notes for the one byte/character caveat).
 *
 * The result has no `g` flag, so `test()` is stateless and the expression can be reused.
 */
export function globToRegExp(pattern: string): RegExp {
  // Code points rather than UTF-16 units, so that `?` never splits a surrogate pair.
  const chars = Array.from(pattern);
  let source = '';
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if (c === '*') {
      // Redis collapses runs of `*`; doing the same keeps the expression free of `.*.*`, which
      // would only add backtracking.
      while (chars[i + 1] === '*') i++;
      source += '.*';
      i++;
    } else if (c === '?') {
      source += '.';
      i++;
    } else if (c === '[') {
      const set = parseSet(chars, i + 1);
      source += set.source;
      i = set.next;
    } else if (c === '\\' && i + 1 < chars.length) {
      source += literal(chars[i + 1]);
      i += 2;
    } else {
      source += literal(c);
      i++;
    }
  }
  // `stringmatchlen()` never enters its loop for an empty key and then wants the pattern used up,
  // so any non-empty pattern (even `**`) misses it; `SCAN`/`KEYS` skip matching for a lone `*`.
  const nonEmpty = pattern === '' || pattern === '*' ? '' : '(?!$)';
  // `s`: `.` must match line terminators too, Redis keys being binary-safe. `u`: code points.
  return new RegExp(`^${nonEmpty}${source}$`, 'su');
}

/**
 * Escapes a literal string so that it can be embedded in a Redis glob and match only itself.
 * `]` is escaped as well although it is literal outside a set, so the output is also safe to
 * place inside one.
 */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}

/** Regex source for one literal character outside a set. */
function literal(c: string): string {
  return REGEX_META.test(c) ? `\\${c}` : c;
}

/** Regex source for one character inside a set; `\u{…}` sidesteps every escaping rule there. */
function setChar(c: string): string {
  return `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

/**
 * Parses a set that starts at `start` (just after `[`) the way `stringmatchlen()` does: at every
 * position it tries, in this order, an escape, the closing `]`, the end of the pattern, a range,
 * and finally a literal member.
 */
function parseSet(chars: readonly string[], start: number): { source: string; next: number } {
  let i = start;
  const negated = chars[i] === '^';
  if (negated) i++;
  let members = '';
  while (i < chars.length) {
    const c = chars[i];
    if (c === '\\' && i + 1 < chars.length) {
      members += setChar(chars[i + 1]);
      i += 2;
    } else if (c === ']') {
      i++;
      break;
    } else if (i + 2 < chars.length && chars[i + 1] === '-') {
      // Redis swaps reversed bounds; a JavaScript set would reject them.
      let low = c;
      let high = chars[i + 2];
      if (low.codePointAt(0)! > high.codePointAt(0)!) [low, high] = [high, low];
      members += `${setChar(low)}-${setChar(high)}`;
      i += 3;
    } else {
      members += setChar(c);
      i++;
    }
  }
  // An empty set is valid here: `[]` never matches and `[^]` matches any character, as in Redis.
  return { source: `[${negated ? '^' : ''}${members}]`, next: i };
}
