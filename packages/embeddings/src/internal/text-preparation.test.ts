import { describe, expect, it } from 'vitest';
import { prepareModelText, splitIdentifierWords } from './text-preparation.ts';

describe('splitIdentifierWords', () => {
  it('breaks camelCase and PascalCase names into words', () => {
    expect(splitIdentifierWords('parseHttpHeader')).toBe('parse Http Header');
    expect(splitIdentifierWords('RouteMatcher.match')).toBe('Route Matcher.match');
    expect(splitIdentifierWords('how parseArgs handles flags')).toBe(
      'how parse Args handles flags',
    );
  });

  it('keeps acronyms whole and splits before the word after them', () => {
    expect(splitIdentifierWords('parseHTTPHeader2')).toBe('parse HTTP Header2');
    expect(splitIdentifierWords('XMLHttpRequest')).toBe('XML Http Request');
    expect(splitIdentifierWords('HTTP')).toBe('HTTP');
  });

  it('turns the underscores inside snake_case and SCREAMING_CASE names into spaces', () => {
    expect(splitIdentifierWords('max_retries = MAX_RETRY_COUNT')).toBe(
      'max retries = MAX RETRY COUNT',
    );
    expect(splitIdentifierWords('def __init__(self):')).toBe('def __init__(self):');
    expect(splitIdentifierWords('_private and trailing_')).toBe('_private and trailing_');
  });

  it('leaves prose, punctuation, line breaks and other scripts alone', () => {
    const text = 'Returns the body.\n  if (x) { return y; } // größe, 数据';
    expect(splitIdentifierWords(text)).toBe(text);
  });
});

describe('prepareModelText', () => {
  it('applies the preparation a model is configured with', () => {
    expect(prepareModelText('src/routeMatcher.ts getRoute', 'split-identifiers')).toBe(
      'src/route Matcher.ts get Route',
    );
    expect(prepareModelText('src/routeMatcher.ts getRoute', 'none')).toBe(
      'src/routeMatcher.ts getRoute',
    );
  });
});
