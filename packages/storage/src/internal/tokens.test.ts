import { describe, expect, it } from 'vitest';
import { ftsQueryLevels } from './ranking/query-levels.ts';
import { analyzeQuery, pathTokenText, splitWord, tokenText } from './tokens.ts';

describe('splitWord', () => {
  it('splits every naming style into the same whole and parts', () => {
    for (const word of [
      'getUserById',
      'get_user_by_id',
      'GetUserByID',
      'get-user-by-id',
      'GET_USER_BY_ID',
      '$getUserById',
    ]) {
      expect(splitWord(word), word).toEqual({
        whole: 'getuserbyid',
        parts: ['get', 'user', 'by', 'id'],
      });
    }
  });

  it('handles acronyms, digits and non-Latin letters', () => {
    expect(splitWord('HTMLParser')).toEqual({ whole: 'htmlparser', parts: ['html', 'parser'] });
    expect(splitWord('sha256Digest')).toEqual({
      whole: 'sha256digest',
      parts: ['sha', '256', 'digest'],
    });
    expect(splitWord('Größe')).toEqual({ whole: 'größe', parts: ['größe'] });
    expect(splitWord('用户Id')?.parts).toEqual(['用户', 'id']);
    expect(splitWord('___')).toBeNull();
  });

  it('keeps very long words whole', () => {
    const blob = 'aGVsbG8gd29ybGQgdGhpcyBpcyBhIGxvbmcgYmFzZTY0IHN0cmluZyB0aGF0IGdvZXMgb24gYW5kIG9u';
    expect(splitWord(blob)).toEqual({ whole: blob.toLowerCase(), parts: [blob.toLowerCase()] });
  });
});

describe('tokenText', () => {
  it('emits each word whole, then its parts', () => {
    expect(tokenText('return getUserById(id) + x_y;')).toBe(
      'return getuserbyid get user by id id xy x y',
    );
    expect(tokenText(null)).toBe('');
    expect(pathTokenText('src/user-service/UserRepo.test.ts')).toBe(
      'src userservice user service userrepo user repo test ts',
    );
  });
});

describe('analyzeQuery and ftsQueryLevels', () => {
  it('drops stop words only when other words remain', () => {
    expect(analyzeQuery('how do we get the user by id').parts).toEqual(['get', 'user', 'id']);
    expect(analyzeQuery('where is the').parts).toEqual(['where', 'is', 'the']);
    expect(analyzeQuery('getUserById').parts).toEqual(['get', 'user', 'id']);
  });

  it('names symbols by compound words, joined words, or a single word', () => {
    expect([...analyzeQuery('get user by id').symbolNames]).toEqual(['getuserbyid', 'getuserid']);
    expect([...analyzeQuery('UserService findById').symbolNames].sort()).toEqual(
      ['findbyid', 'userservice', 'userservicefindbyid'].sort(),
    );
    expect([...analyzeQuery('memoize').symbolNames]).toEqual(['memoize']);
    expect([...analyzeQuery('deep clone object').symbolNames]).toEqual(['deepcloneobject']);
  });

  it('builds levels from strict to loose out of quoted tokens only', () => {
    const levels = ftsQueryLevels(analyzeQuery('parse getUserById'));
    expect(levels[0]).toBe('"parsegetuserbyid"');
    expect(levels[1]).toBe('"parse" AND ("getuserbyid" OR "get user by id")');
    expect(levels).toContain('"parse" AND "get" AND "user" AND "id"');
    expect(levels.at(-1)).toBe('"parse" OR "get" OR "user" OR "id" OR "parse get"');
    for (const hostile of ['a" OR 1=1 --', 'NEAR(x y) AND col:z', "'); DROP TABLE t; --"]) {
      for (const level of ftsQueryLevels(analyzeQuery(hostile))) {
        // Outside quoted tokens only the operators we add appear.
        const outside = level.replace(/"[^"]*"/g, '').replace(/\b(AND|OR)\b|[()\s]/g, '');
        expect(outside, level).toBe('');
      }
    }
    expect(ftsQueryLevels(analyzeQuery('?!'))).toEqual([]);
  });

  it('uses at most 32 words', () => {
    const query = Array.from(
      { length: 50 },
      (_, index) => `word${String.fromCharCode(97 + (index % 26))}${index}`,
    ).join(' ');
    expect(analyzeQuery(query).terms).toHaveLength(32);
  });
});
