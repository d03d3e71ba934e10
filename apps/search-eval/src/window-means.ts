/**
 * Evaluating how the windows of a long text are averaged without embedding any window twice: the
 * vector of a text truncated to one window (the model's usual vector, cached) is its first
 * window's, and each later window comes from an embedder reading only that window (`onlyWindow`,
 * cached under its own id). The mean is taken here, so every weighting of the same windows reuses
 * them. Switched on by NELLIE_EVAL_WINDOWS (see the README).
 */
import type { EmbedOptions, Embedder } from '@nellie/core';
import { poolWindows, type WindowPooling } from '@nellie/embeddings';

export interface WindowMeans extends WindowPooling {
  /** Most windows read per text. */
  count: number;
  /** Tokens a window repeats from the window before it. */
  overlap: number;
}

/** `NELLIE_EVAL_WINDOWS=4`, `NELLIE_EVAL_WINDOW_OVERLAP=32`, `NELLIE_EVAL_WINDOW_POOLING=tokens|equal|first0.5`. */
export function windowMeansFromEnv(env: NodeJS.ProcessEnv): WindowMeans | undefined {
  if (!env.NELLIE_EVAL_WINDOWS) return undefined;
  const count = Number(env.NELLIE_EVAL_WINDOWS);
  const overlap = Number(env.NELLIE_EVAL_WINDOW_OVERLAP ?? 0);
  const pooling = env.NELLIE_EVAL_WINDOW_POOLING ?? 'tokens';
  const first = /^first(0?\.\d+)(?:-(tokens|equal))?$/.exec(pooling);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(overlap) || overlap < 0) {
    throw new Error('NELLIE_EVAL_WINDOWS and NELLIE_EVAL_WINDOW_OVERLAP take whole numbers.');
  }
  if (first) {
    return {
      count,
      overlap,
      firstShare: Number(first[1]),
      weighting: (first[2] as 'tokens' | 'equal' | undefined) ?? 'tokens',
    };
  }
  if (pooling !== 'tokens' && pooling !== 'equal') {
    throw new Error(
      `Unknown NELLIE_EVAL_WINDOW_POOLING ${pooling}: tokens, equal or first<share>.`,
    );
  }
  return { count, overlap, weighting: pooling };
}

/**
 * `base` embeds texts truncated to one window; `windowEmbedder(k)` gives window k's vector scaled
 * by its token count (zero when a text has none). `firstTokens` is a full first window's count.
 */
export function withWindowMeans(
  base: Embedder,
  windowEmbedder: (window: number) => Promise<Embedder>,
  means: WindowMeans,
  firstTokens: number,
): Embedder & { readonly windowCounts: number[] } {
  const windowCounts: number[] = Array.from({ length: means.count }, () => 0);
  const opened: Embedder[] = [];
  return {
    modelId: `${base.modelId}+eval-windows${means.count}-overlap${means.overlap}`,
    dimensions: base.dimensions,
    maxTokens: base.maxTokens,
    windowCounts,
    async embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
      const first = await base.embed(texts, options);
      windowCounts[0]! += texts.length;
      if (options?.priority === 'query' || means.count === 1) return first;
      const windows = first.map((vector) => ({ vectors: [vector], tokens: [firstTokens] }));
      let reading = texts.map((_, index) => index);
      for (let window = 1; window < means.count && reading.length > 0; window += 1) {
        const embedder = await windowEmbedder(window);
        if (!opened.includes(embedder)) opened.push(embedder);
        const scaled = await embedder.embed(
          reading.map((index) => texts[index]!),
          options,
        );
        const next: number[] = [];
        scaled.forEach((vector, position) => {
          const tokens = Math.hypot(...vector);
          if (tokens < 0.5) return;
          const index = reading[position]!;
          windows[index]!.vectors.push(vector.map((value) => value / tokens));
          windows[index]!.tokens.push(Math.round(tokens));
          next.push(index);
        });
        windowCounts[window]! += next.length;
        reading = next;
      }
      return windows.map(({ vectors, tokens }) => poolWindows(vectors, tokens, means));
    },
    close: async () => {
      await Promise.all(opened.map((embedder) => embedder.close?.()));
      await base.close?.();
    },
  };
}
