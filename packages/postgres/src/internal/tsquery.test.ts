import { looseQueryLevels, strictQueryLevels, analyzeQuery } from '@nellie/storage/store-kit';
import { describe, expect, it } from 'vitest';
import { matchBound, matchShare, tokenTsquery, toTsquery } from './tsquery.ts';

describe('toTsquery', () => {
  it('turns quoted tokens, phrases and operators into tsquery syntax', () => {
    expect(toTsquery('("getuserbyid" OR "get user by id") AND "users"')).toBe(
      "( 'getuserbyid' | ('get' <-> 'user' <-> 'by' <-> 'id') ) & 'users'",
    );
  });

  it('translates every level the shared query analysis builds', () => {
    const analyzed = analyzeQuery('where do we retry failed uploads getUserById');
    const levels = [...strictQueryLevels(analyzed), ...looseQueryLevels(analyzed)];
    expect(levels.length).toBeGreaterThan(2);
    for (const level of levels) {
      expect(toTsquery(level.match)).not.toMatch(/"|\bAND\b|\bOR\b/);
    }
  });

  it('escapes quotes and backslashes inside tokens and keeps a weight class', () => {
    expect(toTsquery(`"it""s"`)).toBe(`'it"s'`);
    expect(tokenTsquery("o'neil\\", 'C')).toBe(`'o''neil\\\\':C`);
    expect(tokenTsquery('build', 'C', true)).toBe(`'build':*C`);
    expect(tokenTsquery('build', undefined, true)).toBe(`'build':*`);
    expect(() => toTsquery('"a" NEAR "b"')).toThrow(/Unexpected/);
  });
});

describe('matchShare', () => {
  const share = (token: string): number => (token.startsWith('r') ? 0.1 : 0.5);

  it('multiplies the shares of an AND or a phrase and adds what an OR misses', () => {
    expect(matchShare('"get"', share)).toBe(0.5);
    expect(matchShare('"get" AND "rare"', share)).toBeCloseTo(0.05);
    expect(matchShare('"get rare"', share)).toBeCloseTo(0.05);
    expect(matchShare('"get" OR "rare"', share)).toBeCloseTo(0.55);
    expect(matchShare('("get" AND "user") OR "rare"', share)).toBeCloseTo(1 - 0.75 * 0.9);
    expect(matchShare('"get" AND ("user" OR "rare")', share)).toBeCloseTo(0.5 * 0.55);
  });
});

describe('matchBound', () => {
  const documents = (token: string): number => (token.startsWith('r') ? 10 : 1000);

  it('bounds an AND or a phrase by its rarest part and an OR by its parts together', () => {
    expect(matchBound('"rare"', documents)).toBe(10);
    expect(matchBound('"get"', documents)).toBe(1000);
    expect(matchBound('"get" AND "rare"', documents)).toBe(10);
    expect(matchBound('"get" OR "rare"', documents)).toBe(1010);
    expect(matchBound('"get rare"', documents)).toBe(10);
    expect(matchBound('("get" AND "rare") OR ("rich" AND "user")', documents)).toBe(20);
    expect(matchBound('("get" AND "user") OR "rare"', documents)).toBe(1010);
    expect(matchBound('"get" AND ("user" OR "rare")', documents)).toBe(1000);
    expect(matchBound('"get" AND ("red" OR "rare")', documents)).toBe(20);
  });

  it('reads every level the shared query analysis builds', () => {
    const analyzed = analyzeQuery('where do we retry failed uploads getUserById');
    const levels = [...strictQueryLevels(analyzed), ...looseQueryLevels(analyzed)];
    for (const level of levels) {
      expect(matchBound(level.match, () => 1)).toBeGreaterThanOrEqual(1);
      expect(matchBound(level.match, () => 0)).toBe(0);
    }
  });

  it('refuses an expression it cannot read', () => {
    expect(() => matchBound('("a"', documents)).toThrow(/Unexpected/);
    expect(() => matchBound('"a" AND', documents)).toThrow(/Unexpected/);
    expect(() => matchBound('"a" "b"', documents)).toThrow(/Unexpected/);
  });
});
