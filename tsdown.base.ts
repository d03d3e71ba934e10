import { defineConfig, type UserConfig } from 'tsdown';

/**
 * The one build configuration of Nellie's published libraries: ESM for Node 20, bundled type
 * declarations, source maps, and publint's packaging checks failing the build.
 */
export function libraryConfig(
  entry: Record<string, string> = { index: 'src/index.ts' },
): UserConfig {
  return defineConfig({
    entry,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    dts: true,
    sourcemap: true,
    publint: true,
  });
}
