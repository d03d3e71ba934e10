import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { NellieError, type Logger } from '@nellie/core';
import type { OpenEmbeddingModelOptions } from '@nellie/embeddings';
import { z } from 'zod';

/**
 * Nellie's configuration: defaults < config file < `NELLIE_*` environment variables < flags,
 * validated by one zod schema. Every value remembers where it came from, so errors and
 * `nellie config check` can name the source.
 */

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Where embeddings are computed: in this process, or by an OpenAI-compatible endpoint. */
export const embeddingProviders = ['local', 'openai'] as const;

/** The model value that turns semantic search off. */
export const noModel = 'none';
export const defaultModel = 'Xenova/all-MiniLM-L6-v2';

const minApiKeyLength = 16;
const apiKeyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;

export interface ApiKey {
  /** Public, non-secret id used in logs, metrics and the audit log. */
  id: string;
  /** The secret itself. */
  key: string;
}

/** Derives a short public id from a bare secret (a truncated sha256, which reveals nothing usable). */
export function deriveApiKeyId(secret: string): string {
  return `key-${createHash('sha256').update(secret).digest('hex').slice(0, 10)}`;
}

/** Parses `id:secret` or a bare secret. */
export function parseApiKey(value: string): ApiKey {
  const separator = value.indexOf(':');
  if (separator > 0) {
    const id = value.slice(0, separator);
    const key = value.slice(separator + 1);
    if (apiKeyIdPattern.test(id) && key.length > 0) return { id, key };
  }
  return { id: deriveApiKeyId(value), key: value };
}

const apiKeySchema = z
  .union([
    z.string().transform(parseApiKey),
    z.strictObject({ id: z.string().optional(), key: z.string() }).transform((value) => ({
      id: value.id ?? deriveApiKeyId(value.key),
      key: value.key,
    })),
  ])
  .pipe(
    z.object({
      id: z
        .string()
        .regex(apiKeyIdPattern, 'a key id may use letters, digits, ".", "_" and "-" (at most 64)'),
      key: z
        .string()
        .min(
          minApiKeyLength,
          `an API key must be at least ${minApiKeyLength} characters (generate one with \`openssl rand -hex 24\`)`,
        )
        .refine((key) => !/\s/.test(key), 'an API key may not contain whitespace'),
    }),
  );

const globList = z.array(z.string().min(1));

/** What browsers send in `Origin`: scheme://host[:port], nothing after it. */
const originPattern = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(:\d{1,5})?$/i;
/** A host name or address with an optional port, as in a `Host` header. */
const hostPattern = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(:\d{1,5})?$/i;

/** Commands differ only in the default log level. */
export type CommandKind = 'server' | 'tool';

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

/** The default data directory: systemd's StateDirectory, else XDG, else ~/.local/share/nellie. */
export function defaultDataDir(env: Record<string, string | undefined>, homeDir: string): string {
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory) return stateDirectory;
  if (env.XDG_DATA_HOME) return path.join(env.XDG_DATA_HOME, 'nellie');
  return path.join(homeDir, '.local', 'share', 'nellie');
}

type Kind = 'string' | 'integer' | 'boolean' | 'list' | 'keys' | 'object';

/** The groups of settings; commands take the flags of the groups they use. */
export type SettingGroup = 'store' | 'model' | 'indexing' | 'server';

/** Where a computed default comes from. */
interface DefaultContext {
  env: Record<string, string | undefined>;
  homeDir: string;
  kind: CommandKind;
}

/** One setting: its schema, default, flag, environment variables and meaning, in one place. */
interface SettingDefinition<Schema extends z.ZodType> {
  /** Validates and types the value (the config-file key is the setting's name). */
  schema: Schema;
  /** The default, or how it is computed; `undefined` for settings that are unset by default. */
  default: z.output<Schema> | ((context: DefaultContext) => z.output<Schema>);
  /** The default as the docs state it, when it is computed or not a plain value. */
  defaultText?: string;
  /** The flag as typed, e.g. `--data-dir <dir>`; settings without one are set elsewhere. */
  flag?: string;
  /** The flag may be given several times (each value may also be comma-separated). */
  repeatable?: boolean;
  /** Help of the `--no-…` flag that sets a boolean back to false. */
  negation?: string;
  /** Environment variables, in order of precedence; several add up for `keys`. */
  env?: readonly string[];
  /** How environment and flag strings become values. */
  kind: Kind;
  group?: SettingGroup;
  /** What values are allowed, for error messages. */
  allowed: string;
  /** One line on what it does, for --help and the docs. */
  description: string;
  /** Never printed: redacted in errors and `config check`. */
  secret?: boolean;
  /** Values are paths (or lists of paths) resolved against the file's directory or the cwd. */
  path?: boolean;
}

function setting<Schema extends z.ZodType>(
  definition: SettingDefinition<Schema>,
): SettingDefinition<Schema> {
  return definition;
}

const positive = (max: number) => z.number().int().min(1).max(max);

/**
 * Every setting of Nellie, defined once. The schema, the defaults, the CLI flags, the environment
 * variables, the config-file keys, `nellie config check` and the settings reference in the docs
 * all come from this table.
 */
export const settingTable = {
  dataDir: setting({
    schema: z.string().min(1),
    default: ({ env, homeDir }) => defaultDataDir(env, homeDir),
    defaultText: '`~/.local/share/nellie` (`/var/lib/nellie` under systemd)',
    flag: '--data-dir <dir>',
    env: ['NELLIE_DATA_DIR'],
    kind: 'string',
    group: 'store',
    path: true,
    allowed: 'a directory path',
    description: 'Where the database (nellie.db) and the model cache (models/) live.',
  }),
  host: setting({
    schema: z.string().min(1),
    default: '127.0.0.1',
    flag: '--host <address>',
    env: ['NELLIE_HOST'],
    kind: 'string',
    group: 'server',
    allowed: 'a host name or IP address',
    description: 'Address the HTTP server binds to.',
  }),
  port: setting({
    schema: z.number().int().min(0).max(65_535),
    default: 8080,
    flag: '--port <port>',
    env: ['NELLIE_PORT'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 0 to 65535 (0 picks a free port)',
    description: 'TCP port of the HTTP server (0 picks a free one).',
  }),
  logLevel: setting({
    schema: z.enum(logLevels),
    default: ({ kind }) => (kind === 'server' ? 'info' : 'warn'),
    defaultText: '`info` (`warn` for one-shot commands)',
    flag: '--log-level <level>',
    env: ['NELLIE_LOG_LEVEL'],
    kind: 'string',
    group: 'store',
    allowed: logLevels.join(', '),
    description: `Minimum level of the JSON log lines written to stderr: ${logLevels.join(', ')}.`,
  }),
  watch: setting({
    schema: z.array(z.string().min(1)),
    default: [],
    flag: '--watch <dirs>',
    repeatable: true,
    env: ['NELLIE_WATCH_DIRS'],
    kind: 'list',
    group: 'server',
    path: true,
    allowed: 'a comma-separated list of directories',
    description: 'Repositories to index and keep up to date while the server runs.',
  }),
  embeddingThreads: setting({
    schema: positive(64),
    default: () => Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2))),
    defaultText: 'half the cores, 1 to 4',
    flag: '--embedding-threads <n>',
    env: ['NELLIE_EMBEDDING_THREADS'],
    kind: 'integer',
    group: 'model',
    allowed: 'an integer from 1 to 64',
    description: 'Worker threads computing embeddings with a local model.',
  }),
  apiKeys: setting({
    schema: z.array(apiKeySchema).superRefine((keys, context) => {
      const seen = new Set<string>();
      for (const key of keys) {
        if (seen.has(key.id)) {
          context.addIssue({ code: 'custom', message: `the key id "${key.id}" is used twice` });
        }
        seen.add(key.id);
      }
    }),
    default: [],
    defaultText: 'none (auth off)',
    flag: '--api-key <key>',
    repeatable: true,
    env: ['NELLIE_API_KEYS', 'NELLIE_API_KEY'],
    kind: 'keys',
    group: 'server',
    secret: true,
    allowed: `"id:secret" or a bare secret of at least ${minApiKeyLength} characters; several are separated by commas in the environment`,
    description:
      'API keys; when any is set every route but /health needs `Authorization: Bearer <secret>`.',
  }),
  allowUnauthenticated: setting({
    schema: z.boolean(),
    default: false,
    flag: '--allow-unauthenticated',
    env: ['NELLIE_ALLOW_UNAUTHENTICATED'],
    kind: 'boolean',
    group: 'server',
    allowed: 'true or false',
    description: 'Allow binding a non-loopback address without API keys.',
  }),
  model: setting({
    schema: z.string().min(1),
    default: defaultModel,
    flag: '--model <id>',
    env: ['NELLIE_MODEL'],
    kind: 'string',
    group: 'model',
    allowed: `a model id such as ${defaultModel}, or "${noModel}" to turn semantic search off`,
    description: `Embedding model for semantic search ("${noModel}": keyword search only); with the openai provider, the endpoint's model name.`,
  }),
  modelDir: setting({
    schema: z.string().min(1).optional(),
    default: undefined,
    flag: '--model-dir <dir>',
    env: ['NELLIE_MODEL_DIR'],
    kind: 'string',
    group: 'model',
    path: true,
    allowed:
      'a directory holding config.json, tokenizer.json and onnx/, or a distilled static model',
    description: 'Load the model from this directory instead of the model cache.',
  }),
  offline: setting({
    schema: z.boolean(),
    default: false,
    flag: '--offline',
    negation: 'Allow downloading the model when it is missing.',
    env: ['NELLIE_OFFLINE'],
    kind: 'boolean',
    group: 'model',
    allowed: 'true or false',
    description: 'Never download a model; use only local files.',
  }),
  embeddingProvider: setting({
    schema: z.enum(embeddingProviders),
    default: 'local',
    flag: '--embedding-provider <name>',
    env: ['NELLIE_EMBEDDING_PROVIDER'],
    kind: 'string',
    group: 'model',
    allowed: embeddingProviders.join(' or '),
    description:
      'Where embeddings are computed: `local` (an ONNX or static model in this process) or `openai` (an OpenAI-compatible endpoint).',
  }),
  embeddingUrl: setting({
    schema: z.url({ protocol: /^https?$/ }).optional(),
    default: undefined,
    flag: '--embedding-url <url>',
    env: ['NELLIE_EMBEDDING_URL'],
    kind: 'string',
    group: 'model',
    allowed:
      'an http(s) URL ending where `/embeddings` is appended, e.g. http://127.0.0.1:11434/v1',
    description: 'Base URL of the OpenAI-compatible endpoint (openai provider).',
  }),
  embeddingDimensions: setting({
    schema: positive(16_384).optional(),
    default: undefined,
    flag: '--embedding-dimensions <n>',
    env: ['NELLIE_EMBEDDING_DIMENSIONS'],
    kind: 'integer',
    group: 'model',
    allowed: 'an integer from 1 to 16384',
    description: "Width of the endpoint model's vectors (openai provider).",
  }),
  embeddingApiKey: setting({
    schema: z.string().min(1).optional(),
    default: undefined,
    env: ['NELLIE_EMBEDDING_API_KEY'],
    kind: 'string',
    secret: true,
    allowed: 'the API key of the endpoint',
    description:
      'Sent to the endpoint as `Authorization: Bearer <key>` (openai provider); never on the command line.',
  }),
  rateLimit: setting({
    schema: z.number().int().min(0).max(1_000_000),
    default: 1200,
    flag: '--rate-limit <rpm>',
    env: ['NELLIE_RATE_LIMIT'],
    kind: 'integer',
    group: 'server',
    allowed: 'requests per minute as an integer, 0 to turn rate limiting off',
    description: 'Requests per minute per API key (or per client address without auth); 0 = off.',
  }),
  rateLimitBurst: setting({
    schema: positive(1_000_000),
    default: 200,
    flag: '--rate-limit-burst <n>',
    env: ['NELLIE_RATE_LIMIT_BURST'],
    kind: 'integer',
    group: 'server',
    allowed: 'a positive integer',
    description: 'Requests a client may send at once before the per-minute rate applies.',
  }),
  maxBodyBytes: setting({
    schema: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024),
    default: 1024 * 1024,
    flag: '--max-body-bytes <n>',
    env: ['NELLIE_MAX_BODY_BYTES'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 1024 to 1073741824',
    description: 'Largest accepted request body in bytes.',
  }),
  requestTimeoutMs: setting({
    schema: z.number().int().min(100).max(3_600_000),
    default: 30_000,
    flag: '--request-timeout <ms>',
    env: ['NELLIE_REQUEST_TIMEOUT_MS'],
    kind: 'integer',
    group: 'server',
    allowed: 'milliseconds from 100 to 3600000',
    description: 'Time limit of one HTTP request.',
  }),
  shutdownTimeoutMs: setting({
    schema: z.number().int().min(0).max(600_000),
    default: 10_000,
    flag: '--shutdown-timeout <ms>',
    env: ['NELLIE_SHUTDOWN_TIMEOUT_MS'],
    kind: 'integer',
    group: 'server',
    allowed: 'milliseconds from 0 to 600000',
    description: 'How long a graceful shutdown may take before Nellie exits anyway.',
  }),
  corsOrigins: setting({
    schema: z.array(
      z
        .string()
        .refine(
          (origin) => origin === '*' || originPattern.test(origin),
          'an origin is scheme://host[:port] with no path, such as https://app.example.com (or *)',
        ),
    ),
    default: [],
    defaultText: 'none (CORS off)',
    flag: '--cors-origin <origin>',
    repeatable: true,
    env: ['NELLIE_CORS_ORIGINS'],
    kind: 'list',
    group: 'server',
    allowed: 'origins such as https://example.com, comma-separated in the environment',
    description:
      'Browser origins (`scheme://host[:port]`) allowed to call the API; others cannot write or use MCP.',
  }),
  allowedHosts: setting({
    schema: z.array(
      z
        .string()
        .refine(
          (host) => hostPattern.test(host),
          'a host is a DNS name or address, optionally with :port (no scheme or path)',
        ),
    ),
    default: [],
    defaultText: 'none (loopback names and IP addresses only)',
    flag: '--allowed-host <host>',
    repeatable: true,
    env: ['NELLIE_ALLOWED_HOSTS'],
    kind: 'list',
    group: 'server',
    allowed:
      'host names such as nellie.example.com, optionally with :port, comma-separated in the environment',
    description:
      'Host names the server answers to besides loopback names and IP addresses (a reverse proxy or DNS name); other Host headers get 403.',
  }),
  authFailureLimit: setting({
    schema: z.number().int().min(0).max(1_000_000),
    default: 30,
    flag: '--auth-failure-limit <n>',
    env: ['NELLIE_AUTH_FAILURE_LIMIT'],
    kind: 'integer',
    group: 'server',
    allowed: 'wrong API keys per minute as an integer, 0 to turn the limit off',
    description:
      'Wrong API keys one client address may send per minute before its requests get 429; 0 = off.',
  }),
  mcpSessionIdleMinutes: setting({
    schema: positive(1440),
    default: 10,
    flag: '--mcp-session-idle-minutes <n>',
    env: ['NELLIE_MCP_SESSION_IDLE_MINUTES'],
    kind: 'integer',
    group: 'server',
    allowed: 'minutes from 1 to 1440',
    description: 'An MCP session with no request and no open stream for this long is closed.',
  }),
  mcpHandshakeTimeoutMs: setting({
    schema: z.number().int().min(1000).max(600_000),
    default: 30_000,
    flag: '--mcp-handshake-timeout <ms>',
    env: ['NELLIE_MCP_HANDSHAKE_TIMEOUT_MS'],
    kind: 'integer',
    group: 'server',
    allowed: 'milliseconds from 1000 to 600000',
    description: 'An MCP session whose client never completes initialize is closed after this.',
  }),
  mcpMaxSessions: setting({
    schema: positive(100_000),
    default: 1000,
    flag: '--mcp-max-sessions <n>',
    env: ['NELLIE_MCP_MAX_SESSIONS'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 1 to 100000',
    description: 'MCP sessions open at once on the whole server.',
  }),
  mcpMaxSessionsPerClient: setting({
    schema: positive(100_000),
    default: 50,
    flag: '--mcp-max-sessions-per-client <n>',
    env: ['NELLIE_MCP_MAX_SESSIONS_PER_CLIENT'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 1 to 100000',
    description:
      'MCP sessions one API key (or client address without keys) holds at once; its least recently used idle session makes room for a new one.',
  }),
  maxFileBytes: setting({
    schema: positive(1024 * 1024 * 1024),
    default: 1024 * 1024,
    flag: '--max-file-bytes <n>',
    env: ['NELLIE_MAX_FILE_BYTES'],
    kind: 'integer',
    group: 'indexing',
    allowed: 'a positive integer',
    description: 'Files larger than this many bytes are not indexed.',
  }),
  include: setting({
    schema: globList,
    default: [],
    env: ['NELLIE_INCLUDE'],
    kind: 'list',
    allowed: 'a list of globs (comma-separated in the environment)',
    description: 'Only index files matching these globs (on top of .gitignore and defaults).',
  }),
  exclude: setting({
    schema: globList,
    default: [],
    env: ['NELLIE_EXCLUDE'],
    kind: 'list',
    allowed: 'a list of globs (comma-separated in the environment)',
    description: 'Never index files matching these globs.',
  }),
  repositories: setting({
    schema: z.record(
      z.string().min(1),
      z.strictObject({ include: globList.optional(), exclude: globList.optional() }),
    ),
    default: {},
    defaultText: 'none',
    kind: 'object',
    path: true,
    allowed: 'an object mapping repository root paths to { "include": [...], "exclude": [...] }',
    description: 'Per-repository include and exclude globs (config file only).',
  }),
  allowRoots: setting({
    schema: z.array(z.string().min(1)),
    default: [],
    defaultText: 'the `--watch` directories and configured `repositories`',
    flag: '--allow-root <dir>',
    repeatable: true,
    env: ['NELLIE_ALLOW_ROOTS'],
    kind: 'list',
    group: 'indexing',
    path: true,
    allowed:
      'directories (comma-separated in the environment); never /, /etc, /proc, /var or the data directory',
    description:
      'Directories below which MCP and REST clients may index new repositories, besides the watched and configured ones.',
  }),
  indexSecrets: setting({
    schema: z.boolean(),
    default: false,
    flag: '--index-secrets',
    env: ['NELLIE_INDEX_SECRETS'],
    kind: 'boolean',
    group: 'indexing',
    allowed: 'true or false',
    description:
      'Also index files named like secrets (.env, private keys, .npmrc, credential files), which are skipped by default.',
  }),
  defaultExcludes: setting({
    schema: z.boolean(),
    default: true,
    env: ['NELLIE_DEFAULT_EXCLUDES'],
    kind: 'boolean',
    allowed: 'true or false',
    description:
      'Apply the built-in excludes (node_modules, top-level dist/build/out/target, lock files…); false indexes them, and `exclude` lists what to leave out instead.',
  }),
};

type SettingTable = typeof settingTable;
export type SettingKey = keyof SettingTable;
type AnySetting = SettingDefinition<z.ZodType>;

export const settingKeys = Object.keys(settingTable) as SettingKey[];

function definitionOf(key: string): AnySetting | undefined {
  return Object.hasOwn(settingTable, key) ? settingTable[key as SettingKey] : undefined;
}

/** The one schema of Nellie's settings, from the table. */
export const settingsSchema = z.strictObject(
  Object.fromEntries(settingKeys.map((key) => [key, settingTable[key].schema])) as {
    [Key in SettingKey]: SettingTable[Key]['schema'];
  },
);

export type Settings = z.output<typeof settingsSchema>;

export type SettingSource = 'default' | 'file' | 'env' | 'flag';

export interface SettingOrigin {
  source: SettingSource;
  /** The environment variable, flag or file the value came from; empty for defaults. */
  name: string;
}

/** A command-line flag of a setting, for commander. */
export interface SettingFlag {
  setting: SettingKey;
  /** As typed, e.g. `--data-dir <dir>`. */
  flags: string;
  /** commander's option name (camelCase of the flag). */
  name: string;
  help: string;
  repeatable: boolean;
  negation?: string;
}

function flagName(flags: string): string {
  return flags
    .split(' ')[0]!
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function defaultTextOf(definition: AnySetting): string | undefined {
  if (definition.defaultText !== undefined) return definition.defaultText;
  const value = definition.default;
  if (value === undefined || typeof value === 'function') return undefined;
  if (Array.isArray(value) && value.length === 0) return 'none';
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

/** The flags of one group of settings, with their help: meaning, variables and default. */
export function settingFlags(group: SettingGroup): SettingFlag[] {
  return settingKeys.flatMap((key) => {
    const definition: AnySetting = settingTable[key];
    if (definition.group !== group || !definition.flag) return [];
    const defaultText = defaultTextOf(definition);
    const notes = [
      ...(definition.env ? [`env ${definition.env.join(', ')}`] : []),
      ...(defaultText && definition.kind !== 'boolean'
        ? [`default ${defaultText.replaceAll('`', '')}`]
        : []),
    ];
    return [
      {
        setting: key,
        flags: definition.flag,
        name: flagName(definition.flag),
        help: `${definition.description}${definition.repeatable ? ' Repeatable.' : ''}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
        repeatable: definition.repeatable ?? false,
        ...(definition.negation ? { negation: definition.negation } : {}),
      },
    ];
  });
}

/** The settings reference of the docs: a Markdown table generated from the setting table. */
export function settingsReference(): string {
  const rows = [
    ['setting (config file)', 'flag', 'environment', 'default', 'meaning'],
    ...settingKeys.map((key) => {
      const definition: AnySetting = settingTable[key];
      return [
        `\`${key}\``,
        definition.flag
          ? `\`${definition.flag}\`${definition.repeatable ? ' (repeatable)' : ''}`
          : '—',
        definition.env ? definition.env.map((name) => `\`${name}\``).join(', ') : '—',
        defaultTextOf(definition) ?? 'none',
        definition.description.replaceAll('|', '\\|'),
      ];
    }),
  ];
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(rows[0]!), line(rows[0]!.map(() => '---')), ...rows.slice(1).map(line)].join('\n');
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

function originText(origin: SettingOrigin): string {
  switch (origin.source) {
    case 'default':
      return 'the default';
    case 'file':
      return `config file ${origin.name}`;
    case 'env':
      return `environment variable ${origin.name}`;
    case 'flag':
      return `flag ${origin.name}`;
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

function configError(message: string, cause?: unknown): NellieError {
  return new NellieError('INVALID_OPTIONS', message, cause === undefined ? undefined : { cause });
}

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

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const normalized = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    normalized === 'localhost' ||
    normalized === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(normalized) ||
    normalized === '::ffff:127.0.0.1'
  );
}

/**
 * Host names the HTTP server answers to besides loopback names and IP addresses: the configured
 * ones, plus the bind address when it is a DNS name (`--host nellie.lan`).
 */
export function allowedHostsFor(settings: Pick<Settings, 'host' | 'allowedHosts'>): string[] {
  const bindName = settings.host.replace(/^\[|\]$/g, '');
  const extra = isIP(bindName) === 0 && !isLoopbackHost(bindName) ? [settings.host] : [];
  return [...new Set([...settings.allowedHosts, ...extra])];
}

/**
 * Refuses to serve without authentication on an address other machines can reach, unless the
 * operator opted in.
 */
export function checkServeSafety(config: ResolvedConfig): void {
  const { settings, origins } = config;
  if (
    settings.apiKeys.length === 0 &&
    !settings.allowUnauthenticated &&
    !isLoopbackHost(settings.host)
  ) {
    throw configError(
      `The server would listen on ${settings.host} (from ${originText(origins.host)}) with no API key, so anyone who can reach it could read and change your data. ` +
        'Set an API key (--api-key or NELLIE_API_KEY), bind to 127.0.0.1, or pass --allow-unauthenticated (NELLIE_ALLOW_UNAUTHENTICATED=true) if something in front of Nellie handles authentication.',
    );
  }
}

export interface ConfigRow {
  setting: SettingKey;
  value: unknown;
  source: SettingSource;
  /** The env variable, flag or file; empty for defaults. */
  from: string;
}

/** Effective values with their sources, secrets redacted, for `nellie config check`. */
export function describeConfig(config: ResolvedConfig): ConfigRow[] {
  return settingKeys.map((key) => {
    const value = config.settings[key];
    const redacted = !definitionOf(key)?.secret
      ? value
      : key === 'apiKeys'
        ? config.settings.apiKeys.map((apiKey) => ({ id: apiKey.id, key: '(redacted)' }))
        : value === undefined
          ? undefined
          : '(redacted)';
    return {
      setting: key,
      value: redacted ?? null,
      source: config.origins[key].source,
      from: config.origins[key].name,
    };
  });
}

/**
 * The directories new repositories may be indexed below: the allowed roots, the watched
 * directories and the repositories of the config file, plus any the command line names.
 */
export function indexingRoots(
  settings: Pick<Settings, 'allowRoots' | 'watch' | 'repositories'>,
  extra: readonly string[] = [],
): string[] {
  return [
    ...new Set([
      ...settings.allowRoots,
      ...settings.watch,
      ...Object.keys(settings.repositories),
      ...extra,
    ]),
  ];
}

/** How to let Nellie index another directory; shown when a path is refused. */
export const allowRootHint =
  'To allow it, add it (or a directory above it) with --allow-root <dir> or NELLIE_ALLOW_ROOTS (allowRoots in the config file) and restart Nellie.';

/** Says where indexing roots come from when the indexer refuses one (`INVALID_OPTIONS`). */
export function explainIndexingRoots(error: unknown): unknown {
  if (!NellieError.is(error) || error.code !== 'INVALID_OPTIONS') return error;
  return new NellieError(
    'INVALID_OPTIONS',
    `${error.message} Indexing roots come from --allow-root (NELLIE_ALLOW_ROOTS), --watch (NELLIE_WATCH_DIRS), the repositories of the config file and the directory given to \`nellie index\`.`,
    { cause: error },
  );
}

const howToEnableSemanticSearch =
  'Keyword search still works. To turn semantic search on, set --model / NELLIE_MODEL to a model id and run `nellie model pull` (needs access to huggingface.co), ' +
  '`nellie model import <dir>` on an offline machine, or point --model-dir / NELLIE_MODEL_DIR at a model directory, then restart.';

/** The options of `openEmbeddingModel()` (and `planEmbeddingModel()`) for these settings. */
export function embeddingModelOptions(
  config: ResolvedConfig,
  handle: { logger: Logger; deferLoad?: boolean },
): OpenEmbeddingModelOptions {
  const { settings } = config;
  const { embeddingUrl, embeddingDimensions, embeddingApiKey } = settings;
  if (settings.embeddingProvider === 'openai' && settings.model !== noModel) {
    // resolveConfig has checked that the endpoint's settings are there.
    return {
      provider: 'openai',
      baseUrl: embeddingUrl!,
      model: settings.model,
      dimensions: embeddingDimensions!,
      ...(embeddingApiKey === undefined ? {} : { apiKey: embeddingApiKey }),
      ...handle,
    };
  }
  return {
    model: settings.model,
    dtype: 'q8',
    ...(settings.modelDir === undefined ? {} : { modelDir: settings.modelDir }),
    cacheDir: modelCacheDir(settings),
    allowRemote: !settings.offline,
    threads: settings.embeddingThreads,
    howToEnable: howToEnableSemanticSearch,
    ...handle,
  };
}

/** Names the model setting and where it came from in an `INVALID_OPTIONS` error about it. */
export function explainModelSetting(config: ResolvedConfig, error: unknown): unknown {
  if (!NellieError.is(error) || error.code !== 'INVALID_OPTIONS') return error;
  const origin = config.origins.model;
  const from = origin.source === 'default' ? '' : ` from ${originText(origin)}`;
  return new NellieError(
    'INVALID_OPTIONS',
    `Invalid model "${config.settings.model}"${from}: ${error.message}`,
    { cause: error },
  );
}

/** The database file of a data directory. */
export function databasePath(settings: Pick<Settings, 'dataDir'>): string {
  return path.join(settings.dataDir, 'nellie.db');
}

/** The model cache of a data directory. */
export function modelCacheDir(settings: Pick<Settings, 'dataDir'>): string {
  return path.join(settings.dataDir, 'models');
}
