import { describe, expect, it } from 'vitest';
import { analyzeQuery } from '../tokens.ts';
import { rankCodeHits } from './hit-ranking.ts';
import { stem } from './term-scoring.ts';

describe('stem', () => {
  it('maps common inflections to one form', () => {
    expect(new Set(['parse', 'parses', 'parsing', 'parsed'].map(stem)).size).toBe(1);
    expect(stem('queries')).toBe('query');
    expect(stem('class')).toBe('class');
    expect(stem('running')).toBe(stem('run'));
    expect(stem('id')).toBe('id');
  });
});

describe('rankCodeHits', () => {
  const row = (id: number, bm25: number, symbol: string | null, path: string, content = '') => ({
    id,
    bm25,
    symbol_name: symbol,
    enclosing_symbol: null,
    path,
    content,
  });

  it('boosts the chunk whose symbol the query names exactly', () => {
    const ranked = rankCodeHits(analyzeQuery('parseConfig'), [
      {
        row: row(1, -5, 'loadSettings', 'src/a.ts', 'parseConfig(parseConfig)'),
        level: 0,
        complete: true,
      },
      { row: row(2, -3, 'parseConfig', 'src/config.ts'), level: 0, complete: true },
    ]);
    expect(ranked.map((hit) => hit.row.id)).toEqual([2, 1]);
  });

  it('keeps stricter levels first and demotes test files', () => {
    const ranked = rankCodeHits(analyzeQuery('token refresh'), [
      { row: row(1, -50, null, 'src/a.ts', 'token'), level: 2, complete: false },
      { row: row(2, -1, null, 'src/b.ts', 'token refresh'), level: 0, complete: true },
      { row: row(3, -1.1, null, 'src/b.test.ts', 'token refresh'), level: 0, complete: true },
    ]);
    expect(ranked.map((hit) => hit.row.id)).toEqual([2, 3, 1]);
  });
});
