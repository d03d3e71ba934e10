import { InvalidArgumentError, Option, type Command } from 'commander';
import { settingFlags, type SettingGroup } from '../config.ts';

/** Argument parser of a repeatable option: every value, in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError('Expected a positive integer.');
  }
  return Number(value);
}

const groupTitles: Record<SettingGroup, string> = {
  store: 'Configuration:',
  model: 'Model:',
  indexing: 'Indexing:',
  server: 'Server:',
};

/** Adds the flags of one group of settings, as the settings table defines them. */
function addSettingGroup(command: Command, group: SettingGroup): void {
  const title = groupTitles[group];
  for (const flag of settingFlags(group)) {
    const option = new Option(flag.flags, flag.help).helpGroup(title);
    command.addOption(flag.repeatable ? option.argParser(collect) : option);
    if (flag.negation) {
      command.addOption(new Option(`--no-${flag.flags.slice(2)}`, flag.negation).helpGroup(title));
    }
  }
  if (group === 'store') {
    command.addOption(
      new Option(
        '--config <file>',
        'JSON config file (env NELLIE_CONFIG; default <data-dir>/config.json when present)',
      ).helpGroup(title),
    );
  }
}

/** Adds the flags of these groups of settings, in the given order. */
export function addSettingOptions(command: Command, groups: readonly SettingGroup[]): void {
  for (const group of groups) addSettingGroup(command, group);
}
