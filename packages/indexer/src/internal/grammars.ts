import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';

/** Which grammar parses a file: the language id plus, for TypeScript, the TSX variant. */
export type GrammarId =
  | 'typescript'
  | 'tsx'
  | 'javascript'
  | 'python'
  | 'go'
  | 'rust'
  | 'java'
  | 'c'
  | 'cpp'
  | 'csharp'
  | 'ruby'
  | 'php'
  | 'shell'
  | 'elixir'
  | 'haskell'
  | 'kotlin'
  | 'lua'
  | 'scala'
  | 'swift'
  | 'zig';

/** Package-relative location of each prebuilt grammar. */
const grammarFiles: Record<GrammarId, string> = {
  typescript: '@vscode/tree-sitter-wasm/wasm/tree-sitter-typescript.wasm',
  tsx: '@vscode/tree-sitter-wasm/wasm/tree-sitter-tsx.wasm',
  javascript: '@vscode/tree-sitter-wasm/wasm/tree-sitter-javascript.wasm',
  python: '@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm',
  go: '@vscode/tree-sitter-wasm/wasm/tree-sitter-go.wasm',
  rust: '@vscode/tree-sitter-wasm/wasm/tree-sitter-rust.wasm',
  java: '@vscode/tree-sitter-wasm/wasm/tree-sitter-java.wasm',
  c: 'tree-sitter-c/tree-sitter-c.wasm',
  cpp: '@vscode/tree-sitter-wasm/wasm/tree-sitter-cpp.wasm',
  csharp: '@vscode/tree-sitter-wasm/wasm/tree-sitter-c-sharp.wasm',
  ruby: '@vscode/tree-sitter-wasm/wasm/tree-sitter-ruby.wasm',
  php: '@vscode/tree-sitter-wasm/wasm/tree-sitter-php.wasm',
  shell: '@vscode/tree-sitter-wasm/wasm/tree-sitter-bash.wasm',
  elixir: 'tree-sitter-elixir/tree-sitter-elixir.wasm',
  haskell: 'tree-sitter-haskell/tree-sitter-haskell.wasm',
  kotlin: '@tree-sitter-grammars/tree-sitter-kotlin/tree-sitter-kotlin.wasm',
  lua: '@tree-sitter-grammars/tree-sitter-lua/tree-sitter-lua.wasm',
  scala: 'tree-sitter-scala/tree-sitter-scala.wasm',
  swift: '@repomix/tree-sitter-wasms/out/tree-sitter-swift.wasm',
  zig: '@tree-sitter-grammars/tree-sitter-zig/tree-sitter-zig.wasm',
};

const languageGrammars: Record<string, GrammarId> = {
  typescript: 'typescript',
  javascript: 'javascript',
  python: 'python',
  go: 'go',
  rust: 'rust',
  java: 'java',
  c: 'c',
  cpp: 'cpp',
  csharp: 'csharp',
  ruby: 'ruby',
  php: 'php',
  shell: 'shell',
  elixir: 'elixir',
  haskell: 'haskell',
  kotlin: 'kotlin',
  lua: 'lua',
  scala: 'scala',
  swift: 'swift',
  zig: 'zig',
};

/** The grammar for a language id and file extension, or null when none is bundled. */
export function grammarFor(language: string | null, extension: string): GrammarId | null {
  if (language === null) return null;
  if (language === 'typescript' && extension === 'tsx') return 'tsx';
  return languageGrammars[language] ?? null;
}

let runtime: Promise<void> | undefined;
const parsers = new Map<GrammarId, Promise<Parser>>();
const require = createRequire(import.meta.url);

/** Where a grammar file lives on disk (exported for diagnostics and tests). */
export function grammarPath(id: GrammarId): string {
  return require.resolve(grammarFiles[id]);
}

/**
 * A parser for the grammar, loading the tree-sitter runtime and the grammar on first use. A
 * failed load is remembered, so a broken grammar costs one attempt per process.
 */
export function loadParser(id: GrammarId): Promise<Parser> {
  let parser = parsers.get(id);
  if (!parser) {
    parser = (async () => {
      runtime ??= Parser.init();
      await runtime;
      const language = await Language.load(await readFile(grammarPath(id)));
      const instance = new Parser();
      instance.setLanguage(language);
      return instance;
    })();
    parsers.set(id, parser);
  }
  return parser;
}
