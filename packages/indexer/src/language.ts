const byExtension: Record<string, string> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'typescript',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  py: 'python',
  pyi: 'python',
  pyw: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  c: 'c',
  h: 'c',
  cc: 'cpp',
  cpp: 'cpp',
  cxx: 'cpp',
  'c++': 'cpp',
  hh: 'cpp',
  hpp: 'cpp',
  hxx: 'cpp',
  'h++': 'cpp',
  ipp: 'cpp',
  inl: 'cpp',
  cs: 'csharp',
  rb: 'ruby',
  rake: 'ruby',
  gemspec: 'ruby',
  php: 'php',
  phtml: 'php',
  md: 'markdown',
  markdown: 'markdown',
  mdx: 'markdown',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  json: 'json',
  jsonc: 'json',
  json5: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  toml: 'toml',
  ini: 'ini',
  html: 'html',
  htm: 'html',
  vue: 'vue',
  svelte: 'svelte',
  css: 'css',
  scss: 'scss',
  sass: 'sass',
  less: 'less',
  sql: 'sql',
  kt: 'kotlin',
  kts: 'kotlin',
  swift: 'swift',
  scala: 'scala',
  lua: 'lua',
  dart: 'dart',
  ex: 'elixir',
  exs: 'elixir',
  erl: 'erlang',
  hs: 'haskell',
  ml: 'ocaml',
  clj: 'clojure',
  r: 'r',
  pl: 'perl',
  pm: 'perl',
  ps1: 'powershell',
  zig: 'zig',
  nim: 'nim',
  proto: 'protobuf',
  graphql: 'graphql',
  gql: 'graphql',
  tf: 'terraform',
  xml: 'xml',
  rst: 'restructuredtext',
  txt: 'text',
};

const byFileName: Record<string, string> = {
  dockerfile: 'dockerfile',
  makefile: 'make',
  gnumakefile: 'make',
  rakefile: 'ruby',
  gemfile: 'ruby',
  'cmakelists.txt': 'cmake',
  '.bashrc': 'shell',
  '.zshrc': 'shell',
  '.profile': 'shell',
};

/**
 * C++ in a `.h` header: a namespace, a template, a class body, a base class, an access label
 * or `std::`. C headers wrapped in `extern "C"` for C++ callers have none of these.
 */
const cppHeaderPattern =
  /^[ \t]*(?:(?:inline[ \t]+)?namespace(?:[ \t]+[\w:]+)?[ \t]*\{|template[ \t]*<|class[ \t]+\w+[^;(]*?\{[ \t]*$|(?:class|struct)[ \t]+\w+[^;(]*?:[ \t]*(?:public|protected|private)\b|(?:public|protected|private):)|\bstd::\w/m;

/** How much of a header is read to tell C++ from C. */
const headerSniffChars = 64 * 1024;

/**
 * The language id Nellie records for a path (`typescript`, `python`, `markdown`, …), or null when
 * the name says nothing. TSX counts as `typescript` and JSX as `javascript`, so one language
 * filter finds both. Given the content, a `.h` header written in C++ counts as `cpp`, so it is
 * parsed with the C++ grammar (classes, templates, namespaces) rather than the C one.
 */
export function detectLanguage(path: string, content?: string): string | null {
  const language = languageByName(path);
  if (language === 'c' && content !== undefined && extensionOf(path) === 'h') {
    return cppHeaderPattern.test(content.slice(0, headerSniffChars)) ? 'cpp' : 'c';
  }
  return language;
}

function languageByName(path: string): string | null {
  const slash = path.lastIndexOf('/');
  const name = (slash === -1 ? path : path.slice(slash + 1)).toLowerCase();
  const named = byFileName[name];
  if (named) return named;
  if (name.startsWith('dockerfile.') || name.endsWith('.dockerfile')) return 'dockerfile';
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return null;
  return byExtension[name.slice(dot + 1)] ?? null;
}

/** The extension in lower case without the dot, or '' (used to pick a grammar variant). */
export function extensionOf(path: string): string {
  const slash = path.lastIndexOf('/');
  const name = slash === -1 ? path : path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}
