import type { ModelDtype } from './model-layout.ts';

/** `workerData` of an embedding worker: everything it needs to load the model. */
export interface WorkerInit {
  /** Absolute model directory (config.json, tokenizer files, onnx/*). */
  modelDir: string;
  dtype: ModelDtype;
  pooling: 'mean' | 'cls';
  /** Tokenizer truncation length. */
  maxTokens: number;
  /**
   * Evaluation only: each text gives the vector of this window of `maxTokens` (0-based) instead,
   * scaled by the window's token count, or a zero vector when the text has no such window.
   */
  onlyWindow?: number | undefined;
  /** With `onlyWindow`: tokens each window repeats from the end of the one before it. */
  windowOverlap: number;
  /** ONNX Runtime intra-op threads of this worker's session. */
  intraOpThreads: number;
  /** Nice value for this thread and the ONNX threads it starts (Linux); 0 leaves it alone. */
  niceness: number;
  /** Let idle ONNX threads spin-wait for work (faster hand-offs, but burns CPU others need). */
  allowSpinning: boolean;
}

/** Pool → worker. */
export interface EmbedRequest {
  type: 'embed';
  id: number;
  texts: string[];
}

/** Pool → worker: finish the batch in hand, release the model and end the thread. */
export interface CloseRequest {
  type: 'close';
}

export type PoolMessage = EmbedRequest | CloseRequest;

/** Worker → pool. */
export type WorkerMessage =
  | { type: 'ready'; dimensions: number }
  | { type: 'load-failed'; message: string }
  /** `vectors` holds `count` L2-normalised vectors of `dimensions` floats, back to back. */
  | { type: 'result'; id: number; vectors: Float32Array; count: number; dimensions: number }
  | { type: 'error'; id: number; message: string };
