// Loads every native addon of a deployed Nellie app (node check-addons.mjs <app-dir>) and
// exercises each once, then imports every dependency of the app, so a release never ships
// without a binary for its own platform or without a package's built files.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const appDir = path.resolve(process.argv[2] ?? '.');
const virtualStore = path.join(appDir, 'node_modules', '.pnpm');
const entries = readdirSync(virtualStore);

/** A require() that resolves from the installed copy of a package, as that package would. */
function requireFrom(packageName) {
  const prefix = `${packageName.replace('/', '+')}@`;
  const entry = entries.find((item) => item.startsWith(prefix));
  if (!entry) throw new Error(`${packageName} is not in ${appDir}`);
  return createRequire(path.join(virtualStore, entry, 'node_modules', packageName, 'package.json'));
}

const found = [];
const storage = requireFrom('@nellie/storage');

const Database = storage('better-sqlite3');
const db = new Database(':memory:');
found.push(`better-sqlite3 (SQLite ${db.prepare('select sqlite_version() as v').get().v})`);

storage('sqlite-vec').load(db);
found.push(`sqlite-vec ${db.prepare('select vec_version() as v').get().v}`);
db.close();

const { Index } = storage('usearch');
const index = new Index({ dimensions: 4, metric: 'cos' });
index.add(1n, new Float32Array([1, 0, 0, 0]));
found.push('usearch');

const transformers = requireFrom('@huggingface/transformers');
const ort = transformers('onnxruntime-node');
if (typeof ort.InferenceSession?.create !== 'function')
  throw new Error('onnxruntime-node did not load');
found.push('onnxruntime-node');
const sharp = transformers('sharp');
found.push(`sharp ${sharp.versions?.sharp ?? ''}`.trim());

// The Node build of transformers.js must load with what the release keeps.
const transformersEntry = requireFrom('@nellie/embeddings').resolve('@huggingface/transformers');
await import(pathToFileURL(transformersEntry).href);
found.push('@huggingface/transformers');

const watcher = requireFrom('@nellie/indexer')('@parcel/watcher');
if (typeof watcher.subscribe !== 'function') throw new Error('@parcel/watcher did not load');
found.push('@parcel/watcher');

// Every workspace package of the app must load from its built files (a package deployed
// without its dist/ fails here instead of at the first command that needs it).
const appRequire = createRequire(path.join(appDir, 'package.json'));
const { dependencies = {} } = JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8'));
const workspacePackages = Object.keys(dependencies).filter((name) => name.startsWith('@nellie/'));
for (const name of workspacePackages) {
  const manifestPath = appRequire.resolve(`${name}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const target = manifest.exports?.['.']?.default;
  if (typeof target !== 'string') throw new Error(`${name} has no default export entry`);
  await import(pathToFileURL(path.join(path.dirname(manifestPath), target)).href);
}
found.push(workspacePackages.join(', '));

process.stderr.write(`loaded: ${found.join(', ')}\n`);
