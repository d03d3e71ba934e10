// Nellie's configuration, one concern per module under config/: the setting table (every
// setting's schema, default, flag, variables and meaning), resolving and validating the layers,
// the help and docs generated from the table, and what the app derives from the settings.
export { deriveApiKeyId, parseApiKey } from './config/api-keys.ts';
export type { ApiKey } from './config/api-keys.ts';
export { databasePath, defaultDataDir, modelCacheDir } from './config/data-dir.ts';
export { allowRootHint, explainIndexingRoots, indexingRoots } from './config/indexing-roots.ts';
export { embeddingModelOptions, explainModelSetting } from './config/model-options.ts';
export { resolveConfig } from './config/resolve-config.ts';
export type { ConfigInputs, ResolvedConfig } from './config/resolve-config.ts';
export { allowedHostsFor, checkServeSafety, isLoopbackHost } from './config/serve-safety.ts';
export {
  defaultModel,
  embeddingProviders,
  logLevels,
  noModel,
  settingKeys,
  settingsSchema,
  settingTable,
} from './config/setting-table.ts';
export type {
  CommandKind,
  LogLevel,
  SettingGroup,
  SettingKey,
  SettingOrigin,
  Settings,
  SettingSource,
} from './config/setting-table.ts';
export { describeConfig, settingFlags, settingsReference } from './config/settings-help.ts';
export type { ConfigRow, SettingFlag } from './config/settings-help.ts';
