import type { ResolvedConfig } from './resolve-config.ts';
import {
  definitionOf,
  flagName,
  settingKeys,
  settingTable,
  type AnySetting,
  type SettingGroup,
  type SettingKey,
  type SettingSource,
} from './setting-table.ts';

// What is generated from the setting table for people: the flags' help, the settings reference
// of the docs, and `nellie config check`.

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
