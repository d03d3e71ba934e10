import { describe, expect, it } from 'vitest';
import { globPathWords, languageToken, scopedExpression, scopeMatch } from './scope.ts';

describe('globPathWords', () => {
  it('keeps only the pieces without wildcards, as indexed path words', () => {
    expect(globPathWords('src/**/*.test.ts')).toEqual(['src', 'test', 'ts']);
    expect(globPathWords('lib/suggestSimilar.js')).toEqual([
      'lib',
      'suggestsimilar',
      'suggest',
      'similar',
      'js',
    ]);
    expect(globPathWords('**/*')).toEqual([]);
    expect(globPathWords('src/ma*ch/x?.ts')).toEqual(['src', 'ts']);
  });

  it('gives up on globs that are more than words and wildcards', () => {
    for (const glob of ['!src/**', 'src/{a,b}/*.ts', 'src/[ab].ts', '+(a|b).ts', 'a\\*b']) {
      expect(globPathWords(glob), glob).toEqual([]);
    }
  });
});

describe('scopeMatch', () => {
  it('joins repository, language and path conditions from quoted tokens only', () => {
    expect(scopeMatch({ repositoryIds: null, language: null, pathGlob: '**' })).toBeNull();
    expect(scopeMatch({ repositoryIds: [3, 12], language: 'c++', pathGlob: 'src/*.cc' })).toBe(
      `scope : ("zr3" OR "zr12") AND scope : "${languageToken('c++')}" AND path : ("src" AND "cc")`,
    );
    expect(languageToken('c++')).toMatch(/^zl[0-9a-f]+$/);
  });

  it('leaves out the path words that do not narrow, and the path condition when none does', () => {
    const filters = { repositoryIds: [3], language: null, pathGlob: 'src/module-7/**' };
    expect(scopeMatch(filters, (word) => word !== 'src' && word !== 'module')).toBe(
      'scope : ("zr3") AND path : ("7")',
    );
    expect(scopeMatch(filters, () => false)).toBe('scope : ("zr3")');
    expect(scopeMatch({ ...filters, repositoryIds: null }, () => false)).toBeNull();
  });
});

describe('scopedExpression', () => {
  it('keeps query words off the scope column only when they could match it', () => {
    expect(scopedExpression('"retry" OR "delay"', null)).toBe('"retry" OR "delay"');
    expect(scopedExpression('"retry" OR "delay"', 'scope : "zr1"')).toBe(
      'scope : "zr1" AND ("retry" OR "delay")',
    );
    expect(scopedExpression('"zr1"', null)).toBe('{symbol container path body} : ("zr1")');
  });
});
