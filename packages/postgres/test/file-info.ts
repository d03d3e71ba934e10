/** The file row a test writes chunks under: a TypeScript file whose content hash is its path. */
export function fileInfo(path: string) {
  return { path, language: 'typescript', size: 1, mtimeMs: 1, contentHash: path };
}
