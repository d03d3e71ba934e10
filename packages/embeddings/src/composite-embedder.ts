import { NellieError, type EmbedOptions, type Embedder, type ModelStatus } from '@nellie/core';
import { compositeModelId } from './internal/composite-model-format.ts';
import { normalizeInPlace } from './internal/vectors.ts';
import type { LocalEmbedder } from './local-embedder.ts';

/** One embedder of a composite and its share of the cosine. */
export interface CompositeEmbedderPart<E extends Embedder = Embedder> {
  embedder: E;
  /** Above 0 and at most 1; the weights of all parts add up to 1. */
  weight: number;
}

/** An embedder whose vector joins those of several models (`nellie-composite.json`). */
export interface CompositeEmbedder extends Embedder {
  /** `nellie-composite:<weight>*<part id>,…` */
  readonly modelId: string;
  readonly dimensions: number;
  readonly parts: readonly { modelId: string; dimensions: number; weight: number }[];
}

/**
 * Joins embedders into one: each text is embedded by every part (at once), each part's vector is
 * normalised and scaled by the square root of its weight, and the scaled vectors are concatenated.
 * The result has unit length, and the cosine of two such vectors is the weighted sum of the
 * parts' cosines. The parts are closed with the composite.
 */
export function composeEmbedders(parts: readonly CompositeEmbedderPart[]): CompositeEmbedder {
  if (parts.length < 2) {
    throw new NellieError('INVALID_OPTIONS', 'A composite model needs at least two parts.');
  }
  for (const part of parts) {
    if (!(part.weight > 0 && part.weight <= 1)) {
      throw new NellieError(
        'INVALID_OPTIONS',
        `The weight of ${part.embedder.modelId} is ${part.weight}; each weight must be above 0 and at most 1.`,
      );
    }
  }
  const weightSum = parts.reduce((sum, part) => sum + part.weight, 0);
  if (Math.abs(weightSum - 1) > 1e-6) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `The weights of a composite model add up to ${weightSum}; they must add up to 1.`,
    );
  }
  const modelId = compositeModelId(
    parts.map((part) => ({ modelId: part.embedder.modelId, weight: part.weight })),
  );
  const dimensions = parts.reduce((sum, part) => sum + part.embedder.dimensions, 0);
  const scales = parts.map((part) => Math.sqrt(part.weight));
  const limits = parts
    .map((part) => part.embedder.maxTokens)
    .filter((limit): limit is number => limit !== undefined);

  let closing: Promise<void> | undefined;
  return {
    modelId,
    dimensions,
    ...(limits.length === 0 ? {} : { maxTokens: Math.min(...limits) }),
    parts: parts.map((part) => ({
      modelId: part.embedder.modelId,
      dimensions: part.embedder.dimensions,
      weight: part.weight,
    })),
    async embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
      if (closing) throw new NellieError('STORE_CLOSED', 'The embedder is closed.');
      const perPart = await Promise.all(parts.map((part) => part.embedder.embed(texts, options)));
      return texts.map((_, index) => {
        const joined = new Float32Array(dimensions);
        let offset = 0;
        perPart.forEach((vectors, partIndex) => {
          const vector = vectors[index]!.slice();
          const part = parts[partIndex]!.embedder;
          if (vector.length !== part.dimensions || !normalizeInPlace(vector)) {
            throw new NellieError(
              'EMBEDDING_FAILED',
              `${part.modelId} gave an unusable vector (${vector.length} values, expected ${part.dimensions}).`,
            );
          }
          const scale = scales[partIndex]!;
          for (let value = 0; value < vector.length; value += 1) {
            joined[offset + value] = vector[value]! * scale;
          }
          offset += vector.length;
        });
        return joined;
      });
    },
    queueDepth: () => Math.max(...parts.map((part) => part.embedder.queueDepth?.() ?? 0)),
    close: () => {
      closing ??= Promise.all(parts.map((part) => part.embedder.close())).then(() => {});
      return closing;
    },
  };
}

/**
 * A composite of loaded local models as a `LocalEmbedder`: its status is the parts' (ready when
 * all are, failed when one is) and its workers are theirs.
 */
export function composeLocalEmbedders(
  dir: string,
  parts: readonly CompositeEmbedderPart<LocalEmbedder>[],
): LocalEmbedder {
  const composite = composeEmbedders(parts);
  const status = (): ModelStatus => {
    const states = parts.map((part) => part.embedder.status());
    const failed = states.find((state) => state.state === 'failed' || state.state === 'disabled');
    const state: ModelStatus['state'] = failed
      ? failed.state
      : states.every((part) => part.state === 'ready')
        ? 'ready'
        : 'loading';
    return {
      state,
      modelId: composite.modelId,
      dimensions: composite.dimensions,
      source: dir,
      message: failed
        ? `${failed.modelId}: ${failed.message ?? failed.state}`
        : `Composite of ${parts.map((part) => `${part.embedder.modelId} (weight ${part.weight})`).join(' and ')}.`,
    };
  };
  const close = (): Promise<void> => composite.close();
  return {
    modelId: composite.modelId,
    dimensions: composite.dimensions,
    maxTokens: composite.maxTokens ?? 256,
    source: { kind: 'model-dir', dir },
    embed: (texts, options) => composite.embed(texts, options),
    queueDepth: () => composite.queueDepth!(),
    status,
    stats: () => ({
      queueDepth: composite.queueDepth!(),
      workers: parts.flatMap((part) => part.embedder.stats().workers),
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
