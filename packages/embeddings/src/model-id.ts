import type { ModelDtype } from './internal/model-layout.ts';

/** How token vectors become one vector: the mean over tokens, or the first (CLS) token. */
export type Pooling = 'mean' | 'cls';

/**
 * The id a transformer model's vectors are stored under: `<model>@<dtype>`, plus `+cls` for CLS
 * pooling, e.g. `Xenova/all-MiniLM-L6-v2@q8`. Each part changes the vectors, so vectors of two
 * ids never mix in a store. Distilled static models name their own id (`nellie-static/…`).
 */
export function localModelId(model: {
  model: string;
  dtype: ModelDtype;
  pooling?: Pooling;
}): string {
  return `${model.model}@${model.dtype}${model.pooling === 'cls' ? '+cls' : ''}`;
}
