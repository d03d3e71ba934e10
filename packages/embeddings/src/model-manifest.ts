import { defaultModel, type ModelDtype, type ModelFileChecksum } from './internal/model-layout.ts';
import type { TextPreparation } from './internal/text-preparation.ts';

export type { ModelFileChecksum } from './internal/model-layout.ts';

/** The files of a model at a Hub revision, with the checksums downloads and imports must match. */
export interface ModelManifest {
  model: string;
  /** Hub revision (branch, tag or commit) the files are downloaded from. */
  revision: string;
  files: readonly ModelFileChecksum[];
  /**
   * How Nellie rewrites text before this model's tokenizer unless configured otherwise
   * (`textPreparation` of the embedder): part of the model's id, so vectors never mix.
   */
  textPreparation?: TextPreparation;
}

/**
 * The genuine Xenova/all-MiniLM-L6-v2 files. Every byte is pinned by its sha256, so a file that
 * changes upstream (or in transit) is rejected even though the revision is a branch name.
 */
export const defaultModelManifest: ModelManifest = Object.freeze({
  model: defaultModel,
  revision: 'main',
  // Uncased WordPiece reads `parseHttpHeader` as odd pieces of `parsehttpheader`; given the
  // words, MiniLM ranks better (see the ranking log in packages/storage/README.md).
  textPreparation: 'split-identifiers',
  files: Object.freeze<ModelFileChecksum[]>([
    {
      path: 'config.json',
      bytes: 650,
      sha256: '7135149f7cffa1a573466c6e4d8423ed73b62fd2332c575bf738a0d033f70df7',
    },
    {
      path: 'tokenizer.json',
      bytes: 711_661,
      sha256: 'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0',
    },
    {
      path: 'tokenizer_config.json',
      bytes: 366,
      sha256: '9261e7d79b44c8195c1cada2b453e55b00aeb81e907a6664974b4d7776172ab3',
    },
    {
      path: 'special_tokens_map.json',
      bytes: 125,
      sha256: 'b6d346be366a7d1d48332dbc9fdf3bf8960b5d879522b7799ddba59e76237ee3',
    },
    {
      path: 'onnx/model_quantized.onnx',
      bytes: 22_972_370,
      sha256: 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
      dtype: 'q8',
    },
    {
      path: 'onnx/model.onnx',
      bytes: 90_387_606,
      sha256: '759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e',
      dtype: 'fp32',
    },
  ]),
});

const builtInManifests: readonly ModelManifest[] = [defaultModelManifest];

/** The built-in manifest of a model, if Nellie knows its checksums. */
export function getModelManifest(model: string): ModelManifest | undefined {
  return builtInManifests.find((manifest) => manifest.model === model);
}

/** The files of a manifest needed for one dtype: the shared files plus that dtype's weights. */
export function manifestFilesFor(manifest: ModelManifest, dtype: ModelDtype): ModelFileChecksum[] {
  return manifest.files.filter((file) => file.dtype === undefined || file.dtype === dtype);
}
