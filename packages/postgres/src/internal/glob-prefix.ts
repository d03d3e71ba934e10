/**
 * The literal start every path a glob matches begins with ('' when there is none), so the
 * database can leave out the other files before the glob itself is matched in JS: only a
 * pre-filter, the glob decides. Up to the first wildcard, brace, class or escape; a trailing `/`
 * is dropped, since `src/**` matches `src` itself. Negated globs and globs without a `/` (matched
 * against the file name alone) have none.
 */
export function globLiteralPrefix(pattern: string): string {
  if (pattern.startsWith('!') || !pattern.includes('/')) return '';
  const special = pattern.search(/[*?[\]{}\\()]/);
  const literal = special === -1 ? pattern : pattern.slice(0, special);
  return literal.endsWith('/') ? literal.slice(0, -1) : literal;
}
