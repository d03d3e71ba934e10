export { createLocalEmbedder } from './local-embedder.ts';
export type { LocalEmbedder, LocalEmbedderStats } from './local-embedder.ts';
export { localEmbedderOptionsSchema } from './local-embedder-options.ts';
export type { LocalEmbedderOptions } from './local-embedder-options.ts';
export { localModelId } from './model-id.ts';
export { textPreparations } from './internal/text-preparation.ts';
export type { TextPreparation } from './internal/text-preparation.ts';
export { poolWindows } from './internal/windows.ts';
export type { WindowPooling } from './internal/windows.ts';
export type { Pooling } from './model-id.ts';
export { openEmbeddingModel, planEmbeddingModel } from './open-embedding-model.ts';
export type {
  EmbeddingIdentity,
  EmbeddingModel,
  EmbeddingModelKind,
  EmbeddingModelPart,
  EmbeddingModelPlan,
} from './open-embedding-model.ts';
export { noModel } from './open-embedding-model-options.ts';
export type {
  LocalModelOptions,
  OpenAiModelOptions,
  OpenEmbeddingModelOptions,
} from './open-embedding-model-options.ts';
export { createOpenAiEmbedder } from './openai-embedder.ts';
export type { OpenAiEmbedder } from './openai-embedder.ts';
export { openAiEmbedderOptionsSchema } from './openai-embedder-options.ts';
export type { OpenAiEmbedderOptions } from './openai-embedder-options.ts';
export { resolveModel, resolveModelOptionsSchema } from './resolve-model.ts';
export type {
  ModelSource,
  ResolvedModel,
  ResolveModelOptions,
  SearchedPlace,
} from './resolve-model.ts';
export { pullModel, pullModelOptionsSchema } from './pull-model.ts';
export type { PulledFile, PullModelOptions, PullProgress, PullResult } from './pull-model.ts';
export { verifyModel, verifyModelOptionsSchema } from './verify-model.ts';
export type {
  FileVerification,
  FileVerificationStatus,
  ModelVerification,
  VerifyModelOptions,
} from './verify-model.ts';
export { importModel, importModelOptionsSchema } from './import-model.ts';
export type { ImportModelOptions, ImportResult } from './import-model.ts';
export { defaultModelManifest, getModelManifest } from './model-manifest.ts';
export type { ModelFileChecksum, ModelManifest } from './model-manifest.ts';
export { defaultModel, modelDtypes, onnxFileFor } from './internal/model-layout.ts';
export type { ModelDtype } from './internal/model-layout.ts';
export type { WorkerStats } from './internal/pool.ts';
export { createStaticEmbedder } from './static-embedder.ts';
export type { StaticEmbedder } from './static-embedder.ts';
export { staticEmbedderOptionsSchema } from './static-embedder-options.ts';
export type { StaticEmbedderOptions } from './static-embedder-options.ts';
export { distillStaticModel } from './distill-static-model.ts';
export type { DistillResult } from './distill-static-model.ts';
export { distillStaticModelOptionsSchema } from './distill-static-model-options.ts';
export type { DistillProgress, DistillStaticModelOptions } from './distill-static-model-options.ts';
export { isStaticModelDir, readStaticModelConfig } from './internal/static-model-format.ts';
export type { StaticModelConfig } from './internal/static-model-format.ts';
export { composeEmbedders } from './composite-embedder.ts';
export type { CompositeEmbedder, CompositeEmbedderPart } from './composite-embedder.ts';
export {
  isCompositeModelDir,
  readCompositeParts,
  writeCompositeModel,
} from './internal/composite-model-format.ts';
export type { CompositePart } from './internal/composite-model-format.ts';
export { tuneStaticModel } from './tune-static-model.ts';
export type { TuneResult } from './tune-static-model.ts';
export { tuneStaticModelOptionsSchema } from './tune-static-model-options.ts';
export type { TuneProgress, TuneStaticModelOptions } from './tune-static-model-options.ts';
export { mineCodePairs, stripDocComments } from './mine-code-pairs.ts';
export type { CodePair, CodeText, MineCodePairsOptions } from './mine-code-pairs.ts';
