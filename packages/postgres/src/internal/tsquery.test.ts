import { looseQueryLevels, strictQueryLevels, analyzeQuery } from '@nellie/storage/store-kit';
import { describe, expect, it } from 'vitest';
import { isSelective, tokenTsquery, toTsquery } from './tsquery.ts';

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

describe('isSelective', () => {
  const rare = (token: string): boolean => token.startsWith('r');

  it('needs a rare word in each alternative; an AND or a phrase needs one of its words', () => {
    expect(isSelective('"rare"', rare)).toBe(true);
    expect(isSelective('"get"', rare)).toBe(false);
    expect(isSelective('"get" AND "rare"', rare)).toBe(true);
    expect(isSelective('"get" OR "rare"', rare)).toBe(false);
    expect(isSelective('"get rare"', rare)).toBe(true);
    expect(isSelective('("get" AND "rare") OR ("rich" AND "user")', rare)).toBe(true);
    expect(isSelective('("get" AND "user") OR "rare"', rare)).toBe(false);
    expect(isSelective('"get" AND ("user" OR "rare")', rare)).toBe(false);
    expect(isSelective('"get" AND ("red" OR "rare")', rare)).toBe(true);
  });

  it('reads every level the shared query analysis builds', () => {
    const analyzed = analyzeQuery('where do we retry failed uploads getUserById');
    const levels = [...strictQueryLevels(analyzed), ...looseQueryLevels(analyzed)];
    for (const level of levels) {
      expect(isSelective(level.match, () => true)).toBe(true);
      expect(isSelective(level.match, () => false)).toBe(false);
    }
  });

  it('refuses an expression it cannot read', () => {
    expect(() => isSelective('("a"', rare)).toThrow(/Unexpected/);
    expect(() => isSelective('"a" AND', rare)).toThrow(/Unexpected/);
    expect(() => isSelective('"a" "b"', rare)).toThrow(/Unexpected/);
  });
});
