import type { CommandContext } from '../cli.ts';
import { checkServeSafety, describeConfig } from '../config.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '(not set)';
  if (Array.isArray(value)) {
    if (value.length === 0) return '(none)';
    return value
      .map((item: unknown) =>
        item && typeof item === 'object' && 'id' in item
          ? `${String((item as { id: string }).id)}:(redacted)`
          : String(item),
      )
      .join(', ');
  }
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return text === '{}' ? '(none)' : text;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `nellie config check`: validates and prints effective values with their sources. */
export async function runConfigCheck(context: CommandContext): Promise<number> {
  const { config } = context;
  checkServeSafety(config);
  const rows = describeConfig(config);
  if (context.options.json) {
    await printJson({
      valid: true,
      configFile: config.configFile,
      settings: Object.fromEntries(
        rows.map((row) => [row.setting, { value: row.value, source: row.source, from: row.from }]),
      ),
    });
    return exitCodes.ok;
  }
  const lines = [
    config.configFile
      ? `Configuration is valid. Config file: ${config.configFile}`
      : 'Configuration is valid. No config file (use --config or NELLIE_CONFIG, or create <data-dir>/config.json).',
    '',
  ];
  const table = rows.map((row) => [
    row.setting,
    formatValue(row.value),
    row.source === 'default' ? 'default' : `${row.source} ${row.from}`,
  ]);
  const widths = [0, 1].map((column) =>
    Math.max(...table.map((cells) => cells[column]!.length), column === 0 ? 7 : 5),
  );
  lines.push(
    `${'setting'.padEnd(widths[0]!)}  ${'value'.padEnd(widths[1]!)}  source`,
    ...table.map(
      ([setting, value, source]) =>
        `${setting!.padEnd(widths[0]!)}  ${value!.padEnd(widths[1]!)}  ${source!}`,
    ),
  );
  await writeStdout(`${lines.join('\n')}\n`);
  return exitCodes.ok;
}
