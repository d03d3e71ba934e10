import { createHash } from 'node:crypto';
import type { ModelDtype } from './internal/model-layout.ts';
import type { TextPreparation } from './internal/text-preparation.ts';
import { getModelManifest } from './model-manifest.ts';

/** How token vectors become one vector: the mean over tokens, or the first (CLS) token. */
export type Pooling = 'mean' | 'cls';

/**
 * The text preparation a transformer model is run with: the configured one, else the one its
 * built-in manifest names (`split-identifiers` for all-MiniLM-L6-v2), else none.
 */
export function modelTextPreparation(model: {
  model: string;
  textPreparation?: TextPreparation | undefined;
}): TextPreparation {
  return model.textPreparation ?? getModelManifest(model.model)?.textPreparation ?? 'none';
}

/**
 * The family of a transformer model's vectors: `<model>@<dtype>`, the same weights whatever
 * input settings (pooling, text preparation) they are read with. A store holding vectors of
 * another id of the same family re-embeds them instead of refusing to open.
 */
export function localModelFamily(model: { model: string; dtype: ModelDtype }): string {
  return `${model.model}@${model.dtype}`;
}

/**
 * The id a transformer model's vectors are stored under: `<model>@<dtype>`, plus `+cls` for CLS
 * pooling, `+<preparation>` for a text preparation, `+prefixes-<hash>` for query or document
 * prefixes and `+window<k>` for the vectors of one window (evaluation only), e.g.
 * `Xenova/all-MiniLM-L6-v2@q8+split-identifiers`. Each part changes the vectors, so vectors of
 * two ids never mix in a store. Distilled static models name their own id (`nellie-static/…`).
 */
export function localModelId(model: {
  model: string;
  dtype: ModelDtype;
  pooling?: Pooling;
  textPreparation?: TextPreparation | undefined;
  queryPrefix?: string;
  documentPrefix?: string;
  onlyWindow?: number | undefined;
  windowOverlap?: number | undefined;
}): string {
  const pooling = model.pooling === 'cls' ? '+cls' : '';
  const textPreparation = modelTextPreparation(model);
  const preparation = textPreparation === 'none' ? '' : `+${textPreparation}`;
  const { queryPrefix = '', documentPrefix = '' } = model;
  const prefixes =
    queryPrefix === '' && documentPrefix === ''
      ? ''
      : `+prefixes-${createHash('sha256').update(`${queryPrefix}\0${documentPrefix}`).digest('hex').slice(0, 8)}`;
  const overlap = model.windowOverlap ? `-overlap${model.windowOverlap}` : '';
  const windows = model.onlyWindow === undefined ? '' : `+window${model.onlyWindow}${overlap}`;
  return `${localModelFamily(model)}${pooling}${preparation}${prefixes}${windows}`;
}
