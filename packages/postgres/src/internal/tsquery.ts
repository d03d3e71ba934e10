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
