/**
 * Ranking-setting sweeps for tuning on the dev split: `--vary fusion.vectorShare=0.3,0.5`
 * runs every query once per combination of values against the same index, so a sweep costs one
 * indexing run. The settings are the storage package's ranking settings, changed in place for
 * the duration of one variant's queries.
 */
// The ranking settings are internal to the store; the benchmark tunes them in place.
import * as ranking from '../../../packages/storage/src/internal/ranking/settings.ts';

type SettingValue = number | boolean;

/** The setting groups a sweep may change, by the name used in `--vary`. */
const groups: Record<string, Record<string, unknown>> = {
  codeRanking: ranking.codeRanking,
  codeFusion: ranking.codeFusion,
  candidatePools: ranking.candidatePools,
};

export interface SettingVariant {
  /** `defaults`, or the overrides as `group.key=value` joined by spaces. */
  label: string;
  overrides: { group: string; key: string; value: SettingValue }[];
}

export class VariationError extends Error {}

function parseValue(raw: string, current: unknown, name: string): SettingValue {
  if (typeof current === 'boolean') {
    if (raw !== 'true' && raw !== 'false') {
      throw new VariationError(`${name} takes true or false (got ${raw}).`);
    }
    return raw === 'true';
  }
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new VariationError(`${name} takes numbers (got ${raw}).`);
  }
  return value;
}

function parseSpec(spec: string): SettingVariant['overrides'] {
  const match = /^(\w+)\.(\w+)=(.+)$/.exec(spec);
  if (!match) throw new VariationError(`--vary takes group.key=v1,v2,… (got ${spec}).`);
  const [, group, key, list] = match as unknown as [string, string, string, string];
  const settings = groups[group];
  if (!settings) {
    throw new VariationError(
      `Unknown setting group ${group}; choose ${Object.keys(groups).join(', ')}.`,
    );
  }
  const current = settings[key];
  if (typeof current !== 'number' && typeof current !== 'boolean') {
    const known = Object.keys(settings).filter((name) =>
      ['number', 'boolean'].includes(typeof settings[name]),
    );
    throw new VariationError(
      `${group}.${key} cannot be varied; choose one of ${known.join(', ')}.`,
    );
  }
  return list
    .split(',')
    .map((raw) => ({ group, key, value: parseValue(raw, current, `${group}.${key}`) }));
}

function labelled(overrides: SettingVariant['overrides']): SettingVariant {
  return {
    label: overrides.map((entry) => `${entry.group}.${entry.key}=${String(entry.value)}`).join(' '),
    overrides,
  };
}

/**
 * Every combination of the given `group.key=v1,v2` specs (`--vary`), then each value of each
 * `sweeps` spec alone (`--sweep`: one setting changed at a time, the rest at their defaults);
 * the first variant is the defaults.
 */
export function parseVariations(
  specs: readonly string[],
  sweeps: readonly string[] = [],
): SettingVariant[] {
  let combinations: SettingVariant['overrides'][] = [[]];
  for (const spec of specs) {
    const values = parseSpec(spec);
    combinations = combinations.flatMap((overrides) =>
      values.map((value) => [...overrides, value]),
    );
  }
  const single = sweeps.flatMap((spec) => parseSpec(spec).map((value) => [value]));
  const variants = [...combinations, ...single].map(labelled);
  return [
    { label: 'defaults', overrides: [] },
    ...variants.filter((variant) => variant.label !== ''),
  ];
}

/** Runs `task` with the variant's settings in place, then puts the previous values back. */
export async function withVariant<T>(variant: SettingVariant, task: () => Promise<T>): Promise<T> {
  const saved = variant.overrides.map(({ group, key }) => ({
    group,
    key,
    value: groups[group]![key],
  }));
  for (const { group, key, value } of variant.overrides) groups[group]![key] = value;
  try {
    return await task();
  } finally {
    for (const { group, key, value } of saved.reverse()) groups[group]![key] = value;
  }
}
