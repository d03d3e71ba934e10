import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What a package entry exports: runtime names and type-only names, each sorted. */
export interface ExportSurface {
  values: string[];
  types: string[];
}

/**
 * The public surface of a package entry: the runtime names of its module namespace, and the
 * type-only names declared in its source (`export type { … }`, inline `type` specifiers, and
 * `export interface` / `export type X =`). Entries list named exports only: `export *` would
 * hide what is exported, so it is refused.
 */
export function exportSurface(namespace: object, entry: URL): ExportSurface {
  const source = readFileSync(fileURLToPath(entry), 'utf8');
  if (/^\s*export\s*\*/m.test(source)) {
    throw new Error(`${entry.pathname} uses export *; list the exports by name.`);
  }
  const types = new Set<string>();
  for (const match of source.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const raw of match[2]!.split(',')) {
      const specifier = raw.trim();
      if (specifier === '') continue;
      if (match[1] === undefined && !specifier.startsWith('type ')) continue;
      types.add(
        specifier
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)
          .at(-1)!
          .trim(),
      );
    }
  }
  for (const match of source.matchAll(/^export\s+(?:interface|type)\s+([A-Za-z_$][\w$]*)/gm)) {
    types.add(match[1]!);
  }
  return { values: Object.keys(namespace).sort(), types: [...types].sort() };
}
