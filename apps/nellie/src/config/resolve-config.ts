import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configError, originText } from './errors.ts';
import {
  definitionOf,
  flagName,
  noModel,
  settingKeys,
  settingsSchema,
  settingTable,
  type AnySetting,
  type CommandKind,
  type DefaultContext,
  type Kind,
  type SettingKey,
  type SettingOrigin,
  type SettingSource,
  type Settings,
} from './setting-table.ts';

/**
 * Nellie's configuration: defaults < config file < `NELLIE_*` environment variables < flags,
 * validated by one zod schema. Every value remembers where it came from, so errors and
 * `nellie config check` can name the source.
 */

export interface ConfigInputs {
  /** Options as commander parsed them (camelCase names); undefined means not given. */
  flags?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  cwd?: string;
  homeDir?: string;
  /** `server` (serve, mcp) logs at info by default; `tool` (other commands) at warn. */
  kind?: CommandKind;
  /** Reads a config file; injectable for tests. */
  readFile?: (file: string) => string;
}

export interface ResolvedConfig {
  settings: Settings;
  origins: Record<SettingKey, SettingOrigin>;
  /** The config file that was read, if any. */
  configFile: string | null;
  /** Where the config file path came from, if one was read. */
  configFileOrigin: SettingOrigin | null;
}

interface Layer {
  source: SettingSource;
  /** File path for the file layer. */
  file?: string;
  /** Base directory for relative paths. */
  baseDir: string;
  values: Record<string, unknown>;
  names: Record<string, string>;
}

function defaults(context: DefaultContext): Settings {
  return Object.fromEntries(
    settingKeys.map((key) => {
      const value: unknown = settingTable[key].default;
      return [
        key,
        typeof value === 'function' ? (value as (c: DefaultContext) => unknown)(context) : value,
      ];
    }),
  ) as Settings;
}

function fromString(kind: Kind, raw: string): unknown {
  const text = raw.trim();
  switch (kind) {
    case 'integer':
      return /^-?\d+$/.test(text) ? Number(text) : raw;
    case 'boolean': {
      const lower = text.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(lower)) return false;
      return raw;
    }
    case 'list':
    case 'keys':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
    case 'object':
      return raw;
    case 'string':
      return text;
  }
}

function shown(key: string, value: unknown): string {
  if (definitionOf(key)?.secret) return '(redacted)';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

const layerSchema = settingsSchema.partial();

/** Validates one layer; throws naming the setting, the source and what is allowed. */
function parseLayer(layer: Layer): Partial<Settings> {
  const result = layerSchema.safeParse(layer.values);
  if (result.success) return result.data;
  const messages = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((unknown) => {
          const suggestion = closest(unknown, settingKeys);
          return `Unknown setting "${unknown}" in ${originText({ source: layer.source, name: layer.file ?? '' })}${
            suggestion ? ` (did you mean "${suggestion}"?)` : ''
          }. Known settings: ${settingKeys.join(', ')}.`;
        })
        .join('\n');
    }
    const key = String(issue.path[0] ?? '');
    const spec = definitionOf(key);
    const origin: SettingOrigin = { source: layer.source, name: layer.names[key] ?? '' };
    const detail = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : '';
    return `Invalid ${key} ${shown(key, layer.values[key])} from ${originText(origin)}${detail}: ${issue.message}. Allowed: ${spec?.allowed ?? 'see `nellie config check --help`'}.`;
  });
  throw configError([...new Set(messages)].join('\n'), result.error);
}

function resolvePaths(layer: Layer, homeDir: string): void {
  const resolve = (item: string): string =>
    item === '~' || item.startsWith('~/')
      ? path.join(homeDir, item.slice(1))
      : path.resolve(layer.baseDir, item);
  for (const key of Object.keys(layer.values)) {
    if (!definitionOf(key)?.path) continue;
    const value = layer.values[key];
    if (typeof value === 'string' && value.length > 0) layer.values[key] = resolve(value);
    else if (Array.isArray(value)) {
      layer.values[key] = value.map((item: unknown) =>
        typeof item === 'string' && item.length > 0 ? resolve(item) : item,
      );
    } else if (key === 'repositories' && value && typeof value === 'object') {
      layer.values[key] = Object.fromEntries(
        Object.entries(value).map(([root, rules]) => [resolve(root), rules as unknown]),
      );
    }
  }
}

function envLayer(env: Record<string, string | undefined>, cwd: string): Layer {
  const layer: Layer = { source: 'env', baseDir: cwd, values: {}, names: {} };
  for (const key of settingKeys) {
    const { env: names = [], kind }: AnySetting = settingTable[key];
    for (const name of names) {
      const raw = env[name];
      if (raw === undefined) continue;
      if (kind === 'keys' && layer.values[key] !== undefined) {
        // Every variable of a key list adds keys (NELLIE_API_KEYS and NELLIE_API_KEY).
        layer.values[key] = [
          ...(layer.values[key] as string[]),
          ...(fromString(kind, raw) as string[]),
        ];
        layer.names[key] = `${layer.names[key]} and ${name}`;
        continue;
      }
      layer.values[key] = fromString(kind, raw);
      layer.names[key] = name;
      if (kind !== 'keys') break;
    }
  }
  return layer;
}

function flagLayer(flags: Record<string, unknown>, cwd: string): Layer {
  const layer: Layer = { source: 'flag', baseDir: cwd, values: {}, names: {} };
  for (const key of settingKeys) {
    const { flag, kind }: AnySetting = settingTable[key];
    if (!flag) continue;
    let value = flags[flagName(flag)];
    if (value === undefined) continue;
    if (typeof value === 'string' && kind !== 'string') value = fromString(kind, value);
    if (Array.isArray(value) && (kind === 'list' || kind === 'keys')) {
      value = value.flatMap((item: unknown) =>
        typeof item === 'string' ? (fromString(kind, item) as string[]) : [item],
      );
    }
    layer.values[key] = value;
    layer.names[key] = flag.split(' ')[0]!;
  }
  return layer;
}

function fileLayer(file: string, readFile: (file: string) => string, origin: SettingOrigin): Layer {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory, not a JSON file'
          : code === 'EACCES'
            ? 'is not readable (permission denied)'
            : `cannot be read (${(error as Error).message})`;
    throw configError(`Config file ${file} (from ${originText(origin)}) ${reason}.`, error);
  }
  let parsed: unknown;
  try {
    // Editors on Windows save UTF-8 with a byte order mark, which JSON.parse refuses.
    parsed = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    throw configError(
      `Config file ${file} is not valid JSON: ${(error as Error).message}. It must hold one JSON object such as {"port": 8080}.`,
      error,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw configError(
      `Config file ${file} must hold a JSON object such as {"port": 8080}, not ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}.`,
    );
  }
  const values = { ...(parsed as Record<string, unknown>) };
  delete values.$schema;
  return {
    source: 'file',
    file,
    baseDir: path.dirname(file),
    values,
    names: Object.fromEntries(Object.keys(values).map((key) => [key, file])),
  };
}

function defaultReadFile(file: string): string {
  return readFileSync(file, 'utf8');
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Merges defaults < config file < environment < flags and validates the result.
 * Throws `INVALID_OPTIONS` with a message naming the setting, its source and what is allowed.
 */
export function resolveConfig(inputs: ConfigInputs = {}): ResolvedConfig {
  const env = inputs.env ?? {};
  const cwd = inputs.cwd ?? process.cwd();
  const homeDir = inputs.homeDir ?? env.HOME ?? cwd;
  const flags = inputs.flags ?? {};
  const readFile = inputs.readFile ?? defaultReadFile;

  const defaultValues = defaults({ env, homeDir, kind: inputs.kind ?? 'tool' });
  const environment = envLayer(env, cwd);
  const flagValues = flagLayer(flags, cwd);
  resolvePaths(environment, homeDir);
  resolvePaths(flagValues, homeDir);
  const parsedEnv = parseLayer(environment);
  const parsedFlags = parseLayer(flagValues);

  // The config file: --config, else NELLIE_CONFIG, else <dataDir>/config.json when it exists.
  let configFile: string | null = null;
  let configFileOrigin: SettingOrigin | null = null;
  const explicitFlag = flags.config;
  if (typeof explicitFlag === 'string' && explicitFlag.length > 0) {
    configFile = path.resolve(cwd, explicitFlag);
    configFileOrigin = { source: 'flag', name: '--config' };
  } else if (env.NELLIE_CONFIG) {
    configFile = path.resolve(cwd, env.NELLIE_CONFIG);
    configFileOrigin = { source: 'env', name: 'NELLIE_CONFIG' };
  } else {
    const dataDir = parsedFlags.dataDir ?? parsedEnv.dataDir ?? defaultValues.dataDir;
    const candidate = path.join(dataDir, 'config.json');
    if (isFile(candidate)) {
      configFile = candidate;
      configFileOrigin = { source: 'default', name: '' };
    }
  }
  let parsedFile: Partial<Settings> = {};
  let file: Layer | null = null;
  if (configFile && configFileOrigin) {
    file = fileLayer(configFile, readFile, configFileOrigin);
    resolvePaths(file, homeDir);
    parsedFile = parseLayer(file);
  }

  const merged: Record<string, unknown> = { ...defaultValues };
  const origins = Object.fromEntries(
    settingKeys.map((key) => [key, { source: 'default', name: '' } satisfies SettingOrigin]),
  ) as Record<SettingKey, SettingOrigin>;
  const layers: [Layer | null, Partial<Settings>][] = [
    [file, parsedFile],
    [environment, parsedEnv],
    [flagValues, parsedFlags],
  ];
  for (const [layer, parsed] of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(parsed)) {
      if (value === undefined) continue;
      merged[key] = value;
      origins[key as SettingKey] = { source: layer.source, name: layer.names[key] ?? '' };
    }
  }
  const final = settingsSchema.safeParse(merged);
  if (!final.success) {
    // Each layer was valid on its own; this only guards the defaults.
    throw configError(z.prettifyError(final.error), final.error);
  }
  const config = { settings: final.data, origins, configFile, configFileOrigin };
  checkEmbeddingEndpoint(config);
  return config;
}

/** The openai provider needs an endpoint, its model's name and its vectors' width. */
function checkEmbeddingEndpoint({ settings, origins }: ResolvedConfig): void {
  if (settings.embeddingProvider !== 'openai' || settings.model === noModel) return;
  const missing = [
    ...(settings.embeddingUrl === undefined
      ? ['the endpoint (--embedding-url or NELLIE_EMBEDDING_URL)']
      : []),
    ...(origins.model.source === 'default'
      ? ["the endpoint's model name (--model or NELLIE_MODEL)"]
      : []),
    ...(settings.embeddingDimensions === undefined
      ? ["the width of the model's vectors (--embedding-dimensions or NELLIE_EMBEDDING_DIMENSIONS)"]
      : []),
  ];
  if (missing.length > 0) {
    throw configError(
      `The embedding provider is openai (from ${originText(origins.embeddingProvider)}), which needs ${missing.join(', ')}.`,
    );
  }
}
