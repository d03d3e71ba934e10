import { looseQueryLevels, strictQueryLevels, analyzeQuery } from '@nellie/storage/store-kit';
import { describe, expect, it } from 'vitest';
import { tokenTsquery, toTsquery } from './tsquery.ts';

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
