import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** ONNX weight formats transformers.js can load on the CPU, by their `dtype` name. */
export const modelDtypes = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type ModelDtype = (typeof modelDtypes)[number];

/** Size and sha256 of one file of a model, relative to the model directory. */
export interface ModelFileChecksum {
  path: string;
  bytes: number;
  sha256: string;
  /** Set on weight files: the file is needed only when loading this dtype. */
  dtype?: ModelDtype;
}

export const defaultModel = 'Xenova/all-MiniLM-L6-v2';

const onnxSuffix: Record<ModelDtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** The weights file transformers.js loads for a dtype, relative to the model directory. */
export function onnxFileFor(dtype: ModelDtype): string {
  return `onnx/model${onnxSuffix[dtype]}.onnx`;
}

/** Files every model directory needs besides the weights. */
export const requiredConfigFiles = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Files copied or downloaded when present, never required. */
export const optionalModelFiles = ['special_tokens_map.json'];

export function requiredModelFiles(dtype: ModelDtype): string[] {
  return [...requiredConfigFiles, onnxFileFor(dtype)];
}

/** `q8 → onnx/model_quantized.onnx, fp32 → onnx/model.onnx, …`, for error messages. */
export function dtypePairings(): string {
  return modelDtypes.map((dtype) => `${dtype} → ${onnxFileFor(dtype)}`).join(', ');
}

/** Hub-style ids (`org/name` or `name`); also the relative path of a model in the cache. */
export const modelIdPattern = /^(?!.*\.\.)[\w-][\w.-]*(?:\/[\w-][\w.-]*)?$/;

/** Where a model lives inside a model cache directory: `<cacheDir>/<org>/<name>`. */
export function cachePathFor(cacheDir: string, model: string): string {
  return join(cacheDir, ...model.split('/'));
}

export interface ModelDirInspection {
  dir: string;
  /** False when the path does not exist or is not a directory. */
  exists: boolean;
  /** Required files (for the dtype) that are absent. */
  missing: string[];
  /** Weight files present, with the dtype each one belongs to. */
  presentWeights: { file: string; dtype: ModelDtype }[];
}

export async function inspectModelDir(dir: string, dtype: ModelDtype): Promise<ModelDirInspection> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return { dir, exists: false, missing: [], presentWeights: [] };
  const missing: string[] = [];
  for (const file of requiredModelFiles(dtype)) {
    const fileInfo = await stat(join(dir, file)).catch(() => undefined);
    if (!fileInfo?.isFile()) missing.push(file);
  }
  const onnxEntries = await readdir(join(dir, 'onnx')).catch(() => [] as string[]);
  const presentWeights = modelDtypes
    .map((candidate) => ({ file: onnxFileFor(candidate), dtype: candidate }))
    .filter(({ file }) => onnxEntries.includes(file.slice('onnx/'.length)));
  return { dir, exists: true, missing, presentWeights };
}

/** Explains what an incomplete model directory lacks and how dtypes pair with weight files. */
export function describeIncomplete(
  inspection: ModelDirInspection,
  dtype: ModelDtype,
  what: string,
): string {
  const weights = onnxFileFor(dtype);
  const parts = [
    `The ${what} ${inspection.dir} is incomplete: missing ${inspection.missing.join(', ')}.`,
    `A model directory needs ${requiredConfigFiles.join(', ')} and, for dtype ${dtype}, ${weights}` +
      ` (each dtype loads its own file: ${dtypePairings()}).`,
  ];
  if (inspection.missing.includes(weights)) {
    const others = inspection.presentWeights.filter((entry) => entry.dtype !== dtype);
    if (others.length > 0) {
      const list = others.map((entry) => `${entry.file} (dtype ${entry.dtype})`).join(', ');
      const first = others[0]!.dtype;
      parts.push(
        `It holds ${list}: set the dtype to ${first} to use it, or add ${weights} for dtype ${dtype}.`,
      );
    } else {
      parts.push('It holds no ONNX weights at all under onnx/.');
    }
  }
  return parts.join(' ');
}
