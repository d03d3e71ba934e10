export {
  accessScopeSchema,
  apiKeyIdOf,
  apiKeyIdSchema,
  apiKeyInputSchema,
  apiKeyListOptionsSchema,
  apiKeySecretMatches,
  generateApiKeySecret,
  hashApiKeySecret,
  principalNameSchema,
} from './api-keys.ts';
export {
  anchorInputSchema,
  anchorInputsSchema,
  anchorReferencesSchema,
  anchorStateSchema,
  anchorViewSchema,
  codeMemoriesSchema,
  maxAnchors,
  parseAnchorReferences,
  stalenessFilterSchema,
} from './anchors.ts';
export {
  checkpointChangesSchema,
  checkpointCodeFields,
  checkpointFileSchema,
  checkpointGitSchema,
} from './checkpoint-code.ts';
export {
  filterTextSchema,
  idSchema,
  jsonObjectSchema,
  limitSchema,
  offsetSchema,
  storedTextSchema,
} from './fields.ts';
export { parseInput } from './parse-input.ts';
export {
  fileExcerptSchema,
  lineNumberSchema,
  renamedRepositorySchema,
  repositoryEntrySchema,
  repositoryFilePathSchema,
  repositoryListSchema,
  repositoryNameSchema,
  repositoryReferenceSchema,
} from './repositories.ts';
export {
  agentFilterSchema,
  checkpointSearchQueryFields,
  checkpointSearchQuerySchema,
  codeSearchQueryFields,
  codeSearchQuerySchema,
  deprecatedRepositoryFilterSchema,
  groupBySchema,
  languageFilterSchema,
  lessonSearchQueryFields,
  lessonSearchQuerySchema,
  pathGlobFilterSchema,
  queryTextSchema,
  repositoryFilterSchema,
  requestedMode,
  resolveDeprecatedFields,
  searchLimitSchema,
  searchRequestModeSchema,
  severitySchema,
  tagsFilterSchema,
  withUnlistedDeprecatedFields,
} from './search-requests.ts';
export {
  codeFileHitSchema,
  codeSearchHitSchema,
  codeSearchOutlineResponseSchema,
  codeSearchResponseSchema,
  errorBodySchema,
  scoreBreakdownSchema,
  searchModeSchema,
  searchResponseSchema,
} from './search-answers.ts';
