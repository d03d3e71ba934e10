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
 * Whether a GIN scan for a full-text expression of the query levels (the syntax `toTsquery`
 * reads) stays small: true when every alternative of every `OR` contains a word `isRare`
 * accepts, since an `AND` or a phrase matches no more chunks than its rarest word. A scan that
 * is not selective reads the matches of common words, most of the index on a large store.
 */
export function isSelective(expression: string, isRare: (token: string) => boolean): boolean {
  const items = [...expression.matchAll(/"((?:[^"]|"")*)"|(\()|(\))|\b(AND|OR)\b|(\S)/g)];
  let at = 0;
  const fail = (): never => {
    throw new Error(`Unexpected end or token in full-text expression ${expression}.`);
  };
  const primary = (): boolean => {
    const item = items[at++] ?? fail();
    const [, quoted, open] = item;
    if (quoted !== undefined) {
      return quoted
        .replaceAll('""', '"')
        .split(' ')
        .some((word) => word !== '' && isRare(word));
    }
    if (open === undefined) fail();
    const inner = alternatives();
    if (items[at++]?.[3] === undefined) fail();
    return inner;
  };
  const conjunction = (): boolean => {
    let rare = primary();
    while (items[at]?.[4] === 'AND') {
      at += 1;
      rare = primary() || rare;
    }
    return rare;
  };
  const alternatives = (): boolean => {
    let rare = conjunction();
    while (items[at]?.[4] === 'OR') {
      at += 1;
      rare = conjunction() && rare;
    }
    return rare;
  };
  const result = alternatives();
  if (at !== items.length) fail();
  return result;
}
