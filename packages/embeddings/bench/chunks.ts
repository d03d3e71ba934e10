import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function packageDir(name: string): string | undefined {
  const store = path.join(repoRoot, 'node_modules', '.pnpm');
  const entry = readdirSync(store)
    .filter((dir) => dir.startsWith(`${name}@`))
    .sort()
    .at(-1);
  return entry ? path.join(store, entry, 'node_modules', name) : undefined;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'cjs' && entry.name !== 'types') files.push(...sourceFiles(full));
    } else if (/\.(m?js|ts)$/.test(entry.name) && !/\.d\.ts$|\.min\./.test(entry.name)) {
      files.push(full);
    }
  }
  return files;
}

/**
 * Real source code cut into 40-line chunks, like the indexer produces: hono's sources first,
 * then the TypeScript compiler's.
 */
export function sourceChunks(count: number, lines = 40): string[] {
  const roots = [
    packageDir('hono') && path.join(packageDir('hono')!, 'dist'),
    packageDir('typescript') && path.join(packageDir('typescript')!, 'lib', 'typescript.js'),
  ].filter((root): root is string => root !== undefined);
  const chunks: string[] = [];
  for (const root of roots) {
    const files = root.endsWith('.js') ? [root] : sourceFiles(root);
    for (const file of files) {
      const all = readFileSync(file, 'utf8').split('\n');
      for (let start = 0; start < all.length && chunks.length < count; start += lines) {
        const chunk = all.slice(start, start + lines).join('\n');
        if (chunk.trim().length >= 200) chunks.push(`${path.basename(file)}\n${chunk}`);
      }
      if (chunks.length >= count) return chunks;
    }
  }
  if (chunks.length < count) throw new Error(`Only ${chunks.length} source chunks were found.`);
  return chunks;
}
