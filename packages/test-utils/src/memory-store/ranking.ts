/** Lexical and vector ranking of the in-memory store. */

/** Lower-cased words and the parts of identifiers (camelCase, snake_case, kebab-case). */
export function searchTerms(input: string): string[] {
  const terms: string[] = [];
  for (const word of input.match(/[\p{L}\p{N}_]+/gu) ?? []) {
    const whole = word.replaceAll('_', '').toLowerCase();
    if (whole !== '') terms.push(whole);
    for (const part of word.match(/\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{N}+/gu) ?? []) {
      const lower = part.toLowerCase();
      if (lower !== whole) terms.push(lower);
    }
  }
  return terms;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index += 1) {
    dot += a[index]! * b[index]!;
    normA += a[index]! * a[index]!;
    normB += b[index]! * b[index]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** A glob over relative paths: `**` crosses directories, a pattern without `/` matches names. */
export function globMatcher(glob: string): (path: string) => boolean {
  let source = '';
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index]!;
    if (char === '*' && glob[index + 1] === '*') {
      source += glob[index + 2] === '/' ? '(?:.*/)?' : '.*';
      index += glob[index + 2] === '/' ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '{') source += '(?:';
    else if (char === '}') source += ')';
    else if (char === ',') source += '|';
    else source += char.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^${source}$`, 'u');
  } catch {
    return () => false;
  }
  return glob.includes('/')
    ? (path) => pattern.test(path)
    : (path) => pattern.test(path.slice(path.lastIndexOf('/') + 1));
}

/** Ranks documents by the rarity of the query terms they contain; best first. */
export function rankLexically<T>(
  query: string,
  documents: readonly T[],
  textOf: (document: T) => string,
  exactName?: (document: T) => string | null,
): { item: T; score: number }[] {
  const wanted = [...new Set(searchTerms(query))];
  if (wanted.length === 0) return [];
  const termSets = documents.map((document) => new Set(searchTerms(textOf(document))));
  const frequency = new Map<string, number>();
  for (const term of wanted) {
    frequency.set(term, termSets.filter((terms) => terms.has(term)).length);
  }
  const squashed = wanted.length > 0 ? searchTerms(query.replace(/[^\p{L}\p{N}]+/gu, ''))[0] : '';
  const ranked: { item: T; score: number }[] = [];
  documents.forEach((document, index) => {
    let score = 0;
    for (const term of wanted) {
      if (termSets[index]!.has(term)) {
        score += Math.log(1 + documents.length / frequency.get(term)!);
      }
    }
    if (score === 0) return;
    const name = exactName?.(document);
    if (name && squashed && name.replace(/[^\p{L}\p{N}]+/gu, '').toLowerCase() === squashed) {
      score += 10;
    }
    ranked.push({ item: document, score });
  });
  return ranked.sort((a, b) => b.score - a.score);
}
