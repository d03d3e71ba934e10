/**
 * Reading and writing the files of a static model directory (see `static-model-format.ts`): the
 * verified table, the teacher's tokenizer, and the one way a finished model is written (by
 * distillation and by tuning alike).
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NellieError } from '@nellie/core';
import { hashFile } from './file-hash.ts';
import {
  isStaticModelDir,
  optionalTokenizerFiles,
  staticConfigFile,
  staticQueryWeightsFile,
  staticTableFile,
  staticTokenizerFiles,
  staticVocabularyFile,
  type StaticModelConfig,
} from './static-model-format.ts';
import { splitIdentifiers } from './static-pooling.ts';
import { createFastWordPiece } from './word-piece.ts';

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of float32 values (a view on little-endian hosts). */
export function littleEndianBytes(values: Float32Array): Buffer {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (hostIsLittleEndian) return bytes;
  const copy = Buffer.from(bytes);
  copy.swap32();
  return copy;
}

/** Float32 values of little-endian bytes, copying only when alignment or byte order demand. */
export function float32FromLittleEndian(bytes: Uint8Array): Float32Array {
  if (hostIsLittleEndian && bytes.byteOffset % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  const copy = Buffer.from(Uint8Array.prototype.slice.call(bytes));
  if (!hostIsLittleEndian) copy.swap32();
  return new Float32Array(copy.buffer, copy.byteOffset, copy.length / 4);
}

/** Writes JSON through a temporary file, so a reader never sees half of it. */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** The table of a static model, checked against the size and sha256 its config records. */
export async function readStaticTable(
  dir: string,
  config: StaticModelConfig,
): Promise<Float32Array> {
  const path = join(dir, config.table.path);
  const bytes = await readFile(path).catch((error: unknown) => {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `The static model's table ${path} is missing or unreadable (${String(error)}). Distill the model again.`,
      { cause: error },
    );
  });
  const expectedBytes = config.rows * config.dimensions * 4;
  if (bytes.length !== expectedBytes || bytes.length !== config.table.bytes) {
    throw new NellieError(
      'MODEL_VERIFICATION_FAILED',
      `${path} has ${bytes.length} bytes, but ${config.rows} × ${config.dimensions} float32 values ` +
        `(${expectedBytes} bytes) were expected: the file is truncated or from another model.`,
    );
  }
  if (createHash('sha256').update(bytes).digest('hex') !== config.table.sha256) {
    throw new NellieError(
      'MODEL_VERIFICATION_FAILED',
      `${path} does not match the sha256 recorded in ${staticConfigFile}: the table was altered or corrupted.`,
    );
  }
  return float32FromLittleEndian(bytes);
}

/**
 * The query-side token weights of a static model, checked against the size and sha256 its config
 * records; undefined for a model without them.
 */
export async function readStaticQueryWeights(
  dir: string,
  config: StaticModelConfig,
): Promise<Float32Array | undefined> {
  if (!config.queryWeights) return undefined;
  const path = join(dir, config.queryWeights.path);
  const bytes = await readFile(path).catch((error: unknown) => {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `The static model's query weights ${path} are missing or unreadable (${String(error)}). Tune the model again.`,
      { cause: error },
    );
  });
  if (bytes.length !== config.rows * 4 || bytes.length !== config.queryWeights.bytes) {
    throw new NellieError(
      'MODEL_VERIFICATION_FAILED',
      `${path} has ${bytes.length} bytes, but ${config.rows} float32 weights (${config.rows * 4} bytes) were expected: the file is truncated or from another model.`,
    );
  }
  if (createHash('sha256').update(bytes).digest('hex') !== config.queryWeights.sha256) {
    throw new NellieError(
      'MODEL_VERIFICATION_FAILED',
      `${path} does not match the sha256 recorded in ${staticConfigFile}: the weights were altered or corrupted.`,
    );
  }
  return float32FromLittleEndian(bytes);
}

/**
 * The words of a static model's vocabulary extension, in row order, checked against the count,
 * size and sha256 its config records; empty for a model without one.
 */
export async function readStaticVocabulary(
  dir: string,
  config: StaticModelConfig,
): Promise<string[]> {
  if (!config.vocabulary) return [];
  const path = join(dir, config.vocabulary.path);
  const bytes = await readFile(path).catch((error: unknown) => {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `The static model's vocabulary ${path} is missing or unreadable (${String(error)}). Tune the model again.`,
      { cause: error },
    );
  });
  if (
    bytes.length !== config.vocabulary.bytes ||
    createHash('sha256').update(bytes).digest('hex') !== config.vocabulary.sha256
  ) {
    throw new NellieError(
      'MODEL_VERIFICATION_FAILED',
      `${path} does not match the size and sha256 recorded in ${staticConfigFile}: the vocabulary was altered or corrupted.`,
    );
  }
  const words = bytes.toString('utf8').split('\n').slice(0, -1);
  if (words.length !== config.vocabulary.words || words.length >= config.rows) {
    throw new NellieError(
      'MODEL_VERIFICATION_FAILED',
      `${path} holds ${words.length} words, but ${config.vocabulary.words} were recorded for a table of ${config.rows} rows.`,
    );
  }
  return words;
}

/** The file contents of a vocabulary extension: one word a line. */
export function vocabularyFileText(words: readonly string[]): string {
  return words.map((word) => `${word}\n`).join('');
}

/** Token ids of a text: synchronous on the fast WordPiece path, a promise otherwise. */
export type StaticTokenize = (text: string) => number[] | Promise<number[]>;

/**
 * The teacher's tokenizer as copied into a static model. Source code is nearly all ASCII and
 * takes the fast WordPiece path; the full tokenizer (and the transformers.js runtime it comes
 * with) loads only for the first text that needs it, or up front when there is no fast path.
 */
export async function loadStaticTokenizer(
  dir: string,
  pretokenize: StaticModelConfig['pretokenize'] = 'none',
  vocabulary?: { words: readonly string[]; firstRow: number },
): Promise<StaticTokenize> {
  let tokenizerJson: unknown;
  for (const file of staticTokenizerFiles) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      throw new NellieError(
        'MODEL_NOT_FOUND',
        `The static model directory ${dir} lacks ${file}, copied from the teacher when distilling. Distill the model again.`,
        { cause: error },
      );
    });
    if (file === 'tokenizer.json') {
      try {
        tokenizerJson = JSON.parse(text);
      } catch (error) {
        throw new NellieError(
          'MODEL_LOAD_FAILED',
          `${path} is not valid JSON. Distill the model again.`,
          { cause: error },
        );
      }
    }
  }
  const extraWords =
    vocabulary && vocabulary.words.length > 0
      ? new Map(vocabulary.words.map((word, index) => [word, vocabulary.firstRow + index]))
      : undefined;
  const fast = createFastWordPiece(tokenizerJson, extraWords);
  if (extraWords && !fast) {
    throw new NellieError(
      'MODEL_LOAD_FAILED',
      `The static model in ${dir} extends its vocabulary with whole words, which needs a BERT WordPiece tokenizer; ${join(dir, 'tokenizer.json')} is not one.`,
    );
  }
  let fullTokenizer: Promise<(text: string) => number[]> | undefined;
  const loadFullTokenizer = (): Promise<(text: string) => number[]> =>
    (fullTokenizer ??= (async () => {
      const { env, AutoTokenizer, LogLevel } = await import('@huggingface/transformers');
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.useFSCache = false;
      env.useBrowserCache = false;
      env.logLevel = LogLevel.ERROR;
      const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
      return (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    })().catch((error: unknown) => {
      throw new NellieError(
        'MODEL_LOAD_FAILED',
        `The tokenizer in ${dir} does not load: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }));
  if (!fast) await loadFullTokenizer();
  const tokenize: StaticTokenize = (text) =>
    fast?.(text) ?? loadFullTokenizer().then((encode) => encode(text));
  return pretokenize === 'split-identifiers'
    ? (text) => tokenize(splitIdentifiers(text))
    : tokenize;
}

/**
 * A static model's tokenizer with its vocabulary extension, if any: what the embedder and tuning
 * both tokenise with. `pretokenize` defaults to the model's own.
 */
export async function loadStaticModelTokenizer(
  dir: string,
  config: StaticModelConfig,
  pretokenize: StaticModelConfig['pretokenize'] = config.pretokenize,
): Promise<StaticTokenize> {
  const words = await readStaticVocabulary(dir, config);
  return loadStaticTokenizer(dir, pretokenize, { words, firstRow: config.rows - words.length });
}

/** `CONFLICT` when `outDir` already holds a static model and `overwrite` is off. */
export function refuseOccupiedOutput(outDir: string, overwrite: boolean): void {
  if (isStaticModelDir(outDir) && !overwrite) {
    throw new NellieError(
      'CONFLICT',
      `${outDir} already holds a static model (${staticConfigFile}); choose another output directory or overwrite it.`,
    );
  }
}

/** Creates the output directory; failing to is `INVALID_OPTIONS`. */
export async function createOutputDir(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true }).catch((error: unknown) => {
    throw new NellieError('INVALID_OPTIONS', `Cannot create ${outDir}: ${String(error)}`, {
      cause: error,
    });
  });
}

/** What a finished model is written from; the table's path, size and hash are filled in. */
export interface StaticModelToWrite {
  outDir: string;
  table: Float32Array;
  /** Query-side token weights, written beside the table (none: the model has none). */
  queryWeights?: Float32Array;
  /** The words of a vocabulary extension, owning the table's last rows (none: no extension). */
  vocabularyWords?: readonly string[];
  config: Omit<StaticModelConfig, 'table' | 'queryWeights' | 'vocabulary'>;
  /** Where the tokenizer files are copied from (the teacher, or the model being tuned). */
  tokenizerDir: string;
  /** A checkpoint directory inside `outDir`, removed once the model is complete. */
  checkpointDir: string;
}

/**
 * Writes a complete static model directory: the table, the tokenizer files, a small
 * `config.json` and `nellie-static.json` — written last, as its presence marks a complete model.
 */
export async function writeStaticModel(model: StaticModelToWrite): Promise<StaticModelConfig> {
  const { outDir, config } = model;
  await rm(join(outDir, staticConfigFile), { force: true });
  const tablePath = join(outDir, staticTableFile);
  await mkdir(dirname(tablePath), { recursive: true });
  await writeFile(`${tablePath}.tmp`, littleEndianBytes(model.table));
  await rename(`${tablePath}.tmp`, tablePath);
  const tableHash = await hashFile(tablePath);
  const queryWeightsPath = join(outDir, staticQueryWeightsFile);
  await rm(queryWeightsPath, { force: true });
  let queryWeights: StaticModelConfig['queryWeights'];
  if (model.queryWeights) {
    await writeFile(`${queryWeightsPath}.tmp`, littleEndianBytes(model.queryWeights));
    await rename(`${queryWeightsPath}.tmp`, queryWeightsPath);
    const hash = await hashFile(queryWeightsPath);
    queryWeights = { path: staticQueryWeightsFile, bytes: hash.bytes, sha256: hash.sha256 };
  }
  const vocabularyPath = join(outDir, staticVocabularyFile);
  await rm(vocabularyPath, { force: true });
  let vocabulary: StaticModelConfig['vocabulary'];
  if (model.vocabularyWords && model.vocabularyWords.length > 0) {
    await writeFile(`${vocabularyPath}.tmp`, vocabularyFileText(model.vocabularyWords));
    await rename(`${vocabularyPath}.tmp`, vocabularyPath);
    const hash = await hashFile(vocabularyPath);
    vocabulary = {
      path: staticVocabularyFile,
      words: model.vocabularyWords.length,
      bytes: hash.bytes,
      sha256: hash.sha256,
    };
  }
  for (const file of [...staticTokenizerFiles, ...optionalTokenizerFiles]) {
    const source = join(model.tokenizerDir, file);
    const isFile = await stat(source).then(
      (info) => info.isFile(),
      () => false,
    );
    if (isFile) {
      await copyFile(source, join(outDir, file));
      // Shared model directories are often read-only; the copy must stay replaceable.
      await chmod(join(outDir, file), 0o644);
    }
  }
  // Query weights and the vocabulary are described by the files written here, never inherited
  // from a base config.
  const {
    queryWeights: _inherited,
    vocabulary: _inheritedVocabulary,
    ...ownConfig
  } = config as Partial<StaticModelConfig> & typeof config;
  const written: StaticModelConfig = {
    ...ownConfig,
    table: { path: staticTableFile, bytes: tableHash.bytes, sha256: tableHash.sha256 },
    ...(queryWeights ? { queryWeights } : {}),
    ...(vocabulary ? { vocabulary } : {}),
  };
  // A small config.json tells tools that read model widths (and humans) what this is.
  await writeFile(
    join(outDir, 'config.json'),
    `${JSON.stringify({ model_type: 'nellie-static', hidden_size: config.dimensions, vocab_size: config.rows }, null, 2)}\n`,
  );
  await writeJsonAtomically(join(outDir, staticConfigFile), written);
  await rm(join(outDir, model.checkpointDir), { recursive: true, force: true });
  return written;
}
