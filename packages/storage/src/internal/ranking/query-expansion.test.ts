import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzeQuery } from '../tokens.ts';
import { expandQuery, expansionTerms, wordsToExpand } from './query-expansion.ts';
import type { LevelMatch } from './query-levels.ts';
import type { CodeLexicalRow } from './hit-ranking.ts';
import { queryExpansion } from './settings.ts';

const defaults = { ...queryExpansion };
const statistics = { documents: 1000, documentFrequency: () => 10 };
const row = (id: number, content: string, bm25 = -1): CodeLexicalRow => ({
  id,
  bm25,
  symbol_name: null,
  enclosing_symbol: null,
  path: `src/file${id}.ts`,
  content,
});

beforeEach(() => {
  Object.assign(queryExpansion, { weight: 0.3, minSimilarity: 0.5, wordsPerQueryWord: 2 });
});
afterEach(() => {
  Object.assign(queryExpansion, defaults);
});

describe('wordsToExpand', () => {
  it('takes the content words of prose queries only', () => {
    expect(wordsToExpand('remove an entry from the cache')).toEqual(['remove', 'entry', 'cache']);
    expect(wordsToExpand('parseConfig')).toEqual([]);
    expect(wordsToExpand('how parseArgs handles flags')).toEqual([]);
  });

  it('expands nothing while expansion is off', () => {
    queryExpansion.weight = 0;
    expect(wordsToExpand('remove an entry from the cache')).toEqual([]);
  });
});

describe('expansionTerms', () => {
  const query = 'remove cached entries';
  const related = [
    {
      of: 'remove',
      words: [
        { word: 'delete', similarity: 0.8 },
        { word: 'removes', similarity: 0.75 },
        { word: 'the', similarity: 0.7 },
        { word: 'erase', similarity: 0.6 },
        { word: 'drop', similarity: 0.55 },
      ],
    },
    { of: 'cached', words: [{ word: 'memo', similarity: 0.45 }] },
  ];

  it('keeps the best words above the threshold that are not query words or stop words', () => {
    const terms = expansionTerms(query, analyzeQuery(query), related)!;
    expect(terms.counter.parts).toEqual(['delete', 'erase']);
    expect(terms.weights[0]).toBeCloseTo(0.3 * 0.8);
    expect(terms.weights[1]).toBeCloseTo(0.3 * 0.6);
  });

  it('is null for identifier queries, without related words, or when off', () => {
    expect(expansionTerms('removeEntry', analyzeQuery('removeEntry'), related)).toBeNull();
    expect(expansionTerms(query, analyzeQuery(query), [])).toBeNull();
    queryExpansion.weight = 0;
    expect(expansionTerms(query, analyzeQuery(query), related)).toBeNull();
  });
});

describe('expandQuery', () => {
  const query = 'remove cached entries';
  const related = [{ of: 'remove', words: [{ word: 'delete', similarity: 0.8 }] }];

  it('adds the chunks the related words find as the loosest candidates and scores them', () => {
    const matches: LevelMatch<CodeLexicalRow>[] = [
      { row: row(1, 'remove cached entries'), level: 1, complete: true },
    ];
    const asked: string[] = [];
    const score = expandQuery(query, analyzeQuery(query), related, matches, statistics, (match) => {
      asked.push(match);
      return [row(1, 'remove cached entries'), row(2, 'map.delete(key)')];
    })!;
    expect(asked).toEqual(['"delete"']);
    expect(matches.map((match) => [match.row.id, match.level])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(Number.isNaN(matches[1]!.row.bm25)).toBe(true);
    expect(score(row(2, 'map.delete(key)'))).toBeGreaterThan(0);
    expect(score(row(3, 'nothing related here'))).toBe(0);
  });

  it('leaves a query whose own words are well found alone when asked to', () => {
    queryExpansion.weakEvidence = 0.5;
    const matches: LevelMatch<CodeLexicalRow>[] = [
      { row: row(1, 'remove cached entries'), level: 1, complete: true },
    ];
    const run = () => [row(2, 'map.delete(key)')];
    expect(expandQuery(query, analyzeQuery(query), related, matches, statistics, run)).toBe(
      undefined,
    );
    expect(matches).toHaveLength(1);
    const weak = [{ row: row(1, 'unrelated text'), level: 2, complete: false }];
    expect(expandQuery(query, analyzeQuery(query), related, weak, statistics, run)).toBeDefined();
  });
});
