/**
 * Translates the full-text expressions of the shared query levels (quoted tokens and phrases,
 * `AND`, `OR` and parentheses, as `strictQueryLevels` and `looseQueryLevels` build them for
 * FTS5) into `to_tsquery` syntax: a phrase `"a b"` becomes `'a' <-> 'b'`, `AND` `&`, `OR` `|`.
 * Both languages bind AND tighter than OR, so the structure carries over unchanged.
 */
export function toTsquery(expression: string): string {
  const out: string[] = [];
  const pattern = /"((?:[^"]|"")*)"|(\()|(\))|\b(AND|OR)\b|(\S)/g;
  for (const match of expression.matchAll(pattern)) {
    const [, quoted, open, close, operator, other] = match;
    if (quoted !== undefined) {
      const words = quoted
        .replaceAll('""', '"')
        .split(' ')
        .filter((word) => word !== '')
        .map((word) => `'${word.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`);
      out.push(words.length > 1 ? `(${words.join(' <-> ')})` : (words[0] ?? "''"));
    } else if (open !== undefined) out.push('(');
    else if (close !== undefined) out.push(')');
    else if (operator !== undefined) out.push(operator === 'AND' ? '&' : '|');
    else {
      throw new Error(`Unexpected ${JSON.stringify(other)} in full-text expression ${expression}.`);
    }
  }
  return out.join(' ');
}

/**
 * A query matching one token, in one weight class when given (C: the path); with `prefix`, every
 * token starting with it.
 */
export function tokenTsquery(
  token: string,
  weight?: 'A' | 'B' | 'C' | 'D',
  prefix = false,
): string {
  const quoted = `'${token.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`;
  const label = `${prefix ? '*' : ''}${weight ?? ''}`;
  return label ? `${quoted}:${label}` : quoted;
}

/**
 * At most how many chunks a full-text expression of the query levels (the syntax `toTsquery`
 * reads) can match, from each word's document count: an `AND` or a phrase matches no more than
 * its rarest part, an `OR` no more than its parts together. A GIN scan reads about that many
 * matches, so it tells a cheap index scan from one through a large part of the index.
 */
export function matchBound(expression: string, documents: (token: string) => number): number {
  return foldExpression(expression, {
    words: (words) => Math.min(...words.map(documents)),
    and: Math.min,
    or: (a, b) => a + b,
  });
}

/**
 * The expected share of chunks a full-text expression matches, from each word's share, as if
 * words occurred independently: an `AND` or a phrase multiplies its parts' shares, an `OR` adds
 * what its parts miss. It tells a query that finds its matches among the first few newest
 * chunks from one that reads through all of them.
 */
export function matchShare(expression: string, share: (token: string) => number): number {
  return foldExpression(expression, {
    words: (words) => words.reduce((product, word) => product * Math.min(1, share(word)), 1),
    and: (a, b) => a * b,
    or: (a, b) => 1 - (1 - a) * (1 - b),
  });
}

/** Folds an expression of the query levels: each quoted string, then `AND` and `OR`. */
function foldExpression(
  expression: string,
  fold: {
    words: (words: string[]) => number;
    and: (a: number, b: number) => number;
    or: (a: number, b: number) => number;
  },
): number {
  const items = [...expression.matchAll(/"((?:[^"]|"")*)"|(\()|(\))|\b(AND|OR)\b|(\S)/g)];
  let at = 0;
  const fail = (): never => {
    throw new Error(`Unexpected end or token in full-text expression ${expression}.`);
  };
  const primary = (): number => {
    const item = items[at++] ?? fail();
    const [, quoted, open] = item;
    if (quoted !== undefined) {
      const words = quoted
        .replaceAll('""', '"')
        .split(' ')
        .filter((word) => word !== '');
      return words.length === 0 ? 0 : fold.words(words);
    }
    if (open === undefined) fail();
    const inner = alternatives();
    if (items[at++]?.[3] === undefined) fail();
    return inner;
  };
  const conjunction = (): number => {
    let value = primary();
    while (items[at]?.[4] === 'AND') {
      at += 1;
      value = fold.and(value, primary());
    }
    return value;
  };
  const alternatives = (): number => {
    let value = conjunction();
    while (items[at]?.[4] === 'OR') {
      at += 1;
      value = fold.or(value, conjunction());
    }
    return value;
  };
  const result = alternatives();
  if (at !== items.length) fail();
  return result;
}
