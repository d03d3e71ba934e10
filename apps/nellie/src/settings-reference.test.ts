import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { settingKeys, settingsReference, settingTable } from './config.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (file: string): string => readFileSync(path.join(repoRoot, file), 'utf8');

/** The cells of a Markdown table, row by row, without the separator row or column padding. */
function tableCells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

describe('the settings reference in the docs', () => {
  it.each(['README.md', 'apps/nellie/README.md'])(
    '%s shows the table generated from the settings table',
    (file) => {
      const readme = read(file);
      const section =
        /<!-- settings-reference:start[^>]*-->([\s\S]*?)<!-- settings-reference:end -->/.exec(
          readme,
        );
      expect(section, `${file} has no settings-reference markers`).not.toBeNull();
      // On a difference, paste settingsReference() between the markers (then run prettier).
      expect(tableCells(section![1]!)).toEqual(tableCells(settingsReference()));
      expect(
        tableCells(settingsReference())
          .slice(1)
          .map((row) => row[0]),
      ).toEqual(settingKeys.map((key) => `\`${key}\``));
    },
  );

  it('packaging/nellie.conf lists exactly the settings that have a variable', () => {
    const conf = read('packaging/nellie.conf');
    const listed = [...conf.matchAll(/^#?(NELLIE_[A-Z_]+)=/gm)]
      .map((match) => match[1]!)
      // The config file's own path and the backup timer's variables are not settings.
      .filter((name) => name !== 'NELLIE_CONFIG' && !name.startsWith('NELLIE_BACKUP_'));
    const expected = settingKeys.flatMap((key) => {
      const variables: readonly string[] | undefined = settingTable[key].env;
      return variables ? [variables[0]!] : [];
    });
    expect([...listed].sort()).toEqual([...expected].sort());
  });
});
