import { exportSurface } from '@nellie/test-utils';
import { expect, it } from 'vitest';
import * as api from '../src/index.ts';

// Adding, removing or renaming an export is an API decision: update this list on purpose.
it('exports exactly its public API', () => {
  expect(exportSurface(api, new URL('../src/index.ts', import.meta.url))).toEqual({
    values: [
      'agentFilterSchema',
      'anchorStateSchema',
      'anchorViewSchema',
      'checkpointSearchQueryFields',
      'checkpointSearchQuerySchema',
      'codeFileHitSchema',
      'codeMemoriesSchema',
      'codeSearchHitSchema',
      'codeSearchOutlineResponseSchema',
      'codeSearchQueryFields',
      'codeSearchQuerySchema',
      'codeSearchResponseSchema',
      'deprecatedRepositoryFilterSchema',
      'errorBodySchema',
      'filterTextSchema',
      'groupBySchema',
      'idSchema',
      'jsonObjectSchema',
      'languageFilterSchema',
      'lessonSearchQueryFields',
      'lessonSearchQuerySchema',
      'limitSchema',
      'offsetSchema',
      'parseInput',
      'pathGlobFilterSchema',
      'queryTextSchema',
      'repositoryFilterSchema',
      'requestedMode',
      'resolveDeprecatedFields',
      'scoreBreakdownSchema',
      'searchLimitSchema',
      'searchModeSchema',
      'searchRequestModeSchema',
      'searchResponseSchema',
      'severitySchema',
      'stalenessFilterSchema',
      'storedTextSchema',
      'tagsFilterSchema',
      'withUnlistedDeprecatedFields',
    ],
    types: [],
  });
});
