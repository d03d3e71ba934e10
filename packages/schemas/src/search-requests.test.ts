import { NellieError, limits } from '@nellie/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  codeSearchQueryFields,
  codeSearchQuerySchema,
  lessonSearchQuerySchema,
  requestedMode,
  resolveDeprecatedFields,
  withUnlistedDeprecatedFields,
} from './search-requests.ts';

describe('code search query', () => {
  it('applies the defaults every interface shares and trims text', () => {
    expect(codeSearchQuerySchema.parse({ query: '  retry upload ', repository: ' api ' })).toEqual({
      query: 'retry upload',
      repository: 'api',
      limit: 10,
      mode: 'auto',
      groupBy: 'chunk',
    });
  });

  it('refuses what the store refuses, naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ query: '   ' }, 'The search query is empty'],
      [{ query: 'x'.repeat(limits.queryLength + 1) }, `at most ${limits.queryLength}`],
      [{ query: 'q', limit: limits.searchResults + 1 }, 'limit must be between 1 and'],
      [{ query: 'q', pathGlob: '' }, 'pathGlob must not be empty'],
      [{ query: 'q', repo: 'api' }, 'repo'],
    ];
    for (const [request, message] of cases) {
      const result = codeSearchQuerySchema.safeParse(request);
      expect(result.success, JSON.stringify(request)).toBe(false);
      expect(z.prettifyError(result.error!)).toContain(message);
    }
  });

  it('reads the deprecated lexical mode as keyword', () => {
    const { mode } = codeSearchQuerySchema.parse({ query: 'q', mode: 'lexical' });
    expect(requestedMode(mode)).toBe('keyword');
    expect(requestedMode('auto')).toBe('auto');
  });
});

describe('deprecated field names', () => {
  const unlisted = withUnlistedDeprecatedFields(codeSearchQueryFields);

  it('accepts them unlisted, validated like their current names, and folds them in', () => {
    expect(Object.keys(z.toJSONSchema(unlisted, { io: 'input' }).properties!)).not.toContain(
      'repo',
    );
    const args = unlisted.parse({ query: 'q', repo: ' api ', path_glob: 'src/**' });
    expect(resolveDeprecatedFields(args)).toMatchObject({ repository: 'api', pathGlob: 'src/**' });
    expect(resolveDeprecatedFields(args)).not.toHaveProperty('repo');
    expect(unlisted.safeParse({ query: 'q', repo: '' }).success).toBe(false);
  });

  it('refuses unknown arguments', () => {
    const result = unlisted.safeParse({ query: 'q', path: 'src/**' });
    expect(z.prettifyError(result.error!)).toContain('Unknown argument "path"');
  });

  it('refuses both names with different values', () => {
    const args = lessonSearchQuerySchema.parse({ query: 'q', repository: 'a', repo: 'b' });
    expect(() => resolveDeprecatedFields(args)).toThrow(NellieError);
    expect(() => resolveDeprecatedFields(args)).toThrow('Give repository and repo once');
    expect(resolveDeprecatedFields({ ...args, repo: 'a' })).toMatchObject({ repository: 'a' });
  });

  it('lists repo as deprecated where an interface documents it', () => {
    const schema = z.toJSONSchema(lessonSearchQuerySchema, { io: 'input' });
    expect(schema.properties!.repo).toMatchObject({ deprecated: true });
  });
});
