/**
 * Excluded unless a `.gitignore` or `.ignore` re-includes them: dependency folders, build
 * outputs, caches, lock files and minified or generated files. Written in gitignore syntax.
 * Every path they exclude is counted by pattern in scan results and job progress. Keep this list
 * and the one in the indexer README (and docs/OPERATOR_GUIDE.md) the same.
 */
export const defaultExcludePatterns: readonly string[] = [
  // Dependencies and virtual environments
  'node_modules/',
  'bower_components/',
  'jspm_packages/',
  'venv/',
  '.venv/',
  '.tox/',
  '.nox/',
  // Build outputs. These four common names are anchored to the repository's top: deeper down a
  // directory so named often holds hand-written sources (a `test/build/` suite, an MSBuild
  // `build/` folder of .props files), and real nested outputs are gitignored by the project
  // itself, while bundled or minified files are caught by the content check anyway.
  '/dist/',
  '/build/',
  '/target/',
  '/out/',
  '.next/',
  '.nuxt/',
  '.svelte-kit/',
  '.output/',
  'coverage/',
  '.nyc_output/',
  // Caches and tool state
  '__pycache__/',
  '.mypy_cache/',
  '.pytest_cache/',
  '.ruff_cache/',
  '.gradle/',
  '.cache/',
  '.parcel-cache/',
  '.turbo/',
  '.terraform/',
  '.idea/',
  '.DS_Store',
  // Lock files
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'bun.lock',
  'Cargo.lock',
  'Gemfile.lock',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'composer.lock',
  'go.sum',
  '*.lock',
  // Minified, bundled and generated files
  '*.min.js',
  '*.min.mjs',
  '*.min.cjs',
  '*.min.css',
  '*.map',
  '*.bundle.js',
  '*.pb.go',
  '*_pb2.py',
  '*_pb2_grpc.py',
  '*.pb.cc',
  '*.pb.h',
  '*.designer.cs',
  '*.generated.*',
];

/** Directories never entered, whatever the ignore files say. */
export const alwaysExcludedDirectories: ReadonlySet<string> = new Set(['.git', '.hg', '.svn']);

/** Extensions of files that are never text; skipped without reading them. */
export const binaryExtensions: ReadonlySet<string> = new Set(
  (
    'png jpg jpeg gif bmp ico icns webp tif tiff psd avif heic svgz ' +
    'mp3 mp4 m4a wav ogg oga flac aac mov avi mkv webm wmv ' +
    'zip tar gz tgz bz2 xz 7z rar zst lz4 jar war ear apk ipa deb rpm ' +
    'exe dll so dylib o a lib obj class pyc pyo pyd wasm node ' +
    'pdf doc docx xls xlsx ppt pptx odt ods ' +
    'ttf otf woff woff2 eot ' +
    'db sqlite sqlite3 mdb bin dat iso dmg img ' +
    'npy npz pkl pickle pt pth onnx h5 parquet avro orc tfrecord safetensors'
  ).split(' '),
);

/** Directory names the file watcher skips outright, so it never watches their trees. */
export const watcherIgnoredDirectories: readonly string[] = [
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  '__pycache__',
  '.mypy_cache',
  '.pytest_cache',
  '.gradle',
  '.cache',
  '.parcel-cache',
  '.turbo',
  '.next',
  '.venv',
];
