/**
 * The embedding worker: loads the tokenizer and the ONNX model once, then embeds batches sent by
 * the pool. Runs in a worker thread so inference never blocks the main event loop.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Tensor } from '@huggingface/transformers';
import type { PoolMessage, WorkerInit, WorkerMessage } from './messages.ts';
import { tokenWindows, type TokenWindow } from './windows.ts';

const port = parentPort;
const init = workerData as WorkerInit;

function send(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Lowers the priority of this thread; threads it starts later (ONNX Runtime's pool) inherit it.
 * Linux keeps a nice value per thread, addressed by thread id. Elsewhere this is a no-op.
 */
function lowerPriority(niceness: number): void {
  if (niceness === 0 || process.platform !== 'linux') return;
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId)) setPriority(threadId, niceness);
  } catch {
    // Not permitted or not supported: run at normal priority.
  }
}

interface LoadedModel {
  embed(texts: string[]): Promise<{ data: Float32Array; dims: number }>;
  dispose(): Promise<void>;
}

async function load(): Promise<LoadedModel> {
  lowerPriority(init.niceness);
  const transformers = await import('@huggingface/transformers');
  const { env, AutoModel, AutoTokenizer, mean_pooling, LogLevel, Tensor } = transformers;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.useBrowserCache = false;
  env.logLevel = LogLevel.ERROR;

  // A path that is not a Hub id is read as a directory as is.
  const tokenizer = await AutoTokenizer.from_pretrained(init.modelDir, { local_files_only: true });
  const model = await AutoModel.from_pretrained(init.modelDir, {
    dtype: init.dtype,
    device: 'cpu',
    local_files_only: true,
    session_options: {
      intraOpNumThreads: init.intraOpThreads,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: init.allowSpinning ? '1' : '0' } } },
    },
  });

  const encodeAB = (texts: string[]): bigint[][] => {
    const encoded = tokenizer(texts, { padding: true }) as { input_ids: Tensor };
    return Array.from({ length: texts.length }, (_, row) =>
      Array.from(encoded.input_ids.slice(row).data as BigInt64Array),
    );
  };
  const closing = closingSpecialTokens(encodeAB);
  const opening = openingSpecialTokens(encodeAB);

  type Inputs = Record<string, Tensor> & { input_ids: Tensor; attention_mask: Tensor };
  const embedTexts = async (texts: string[]): Promise<{ data: Float32Array; dims: number }> => {
    const inputs = tokenizer(texts, {
      padding: true,
      truncation: true,
      max_length: init.maxTokens,
    }) as Inputs;
    restoreClosingTokens(inputs.input_ids, inputs.attention_mask, closing);
    return embedInputs(inputs);
  };

  /** One window of a text's tokens, between the text's opening and closing special tokens. */
  const embedWindow = async (body: bigint[], window: TokenWindow): Promise<Float32Array> => {
    const ids = [...opening, ...body.slice(window.start, window.end), ...closing];
    const shape = [1, ids.length];
    const inputs: Inputs = {
      input_ids: new Tensor('int64', BigInt64Array.from(ids), shape),
      attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
    };
    if (takesTokenTypes) {
      inputs.token_type_ids = new Tensor('int64', new BigInt64Array(ids.length), shape);
    }
    return (await embedInputs(inputs)).data;
  };

  /**
   * Evaluation only: the vector of window `init.onlyWindow` of a text, scaled by its token count;
   * zero when the text has no such window. The first window is the text truncated as usual.
   */
  const embedOnlyWindow = async (text: string, only: number): Promise<Float32Array> => {
    const encoded = tokenizer([text], { padding: false, truncation: false }) as Inputs;
    const ids = Array.from(encoded.input_ids.data as BigInt64Array);
    const body = ids.slice(opening.length, ids.length - closing.length);
    const size = init.maxTokens - opening.length - closing.length;
    const windows =
      ids.length <= init.maxTokens
        ? [{ start: 0, end: body.length }]
        : tokenWindows(body.length, size, { count: only + 1, overlap: init.windowOverlap });
    const window = windows[only];
    if (!window) return new Float32Array(width);
    const vector = only === 0 ? (await embedTexts([text])).data : await embedWindow(body, window);
    return vector.map((value) => value * (window.end - window.start));
  };

  const embed = async (texts: string[]): Promise<{ data: Float32Array; dims: number }> => {
    const only = init.onlyWindow;
    if (only === undefined) return embedTexts(texts);
    const data = new Float32Array(width * texts.length);
    for (const [index, text] of texts.entries()) {
      data.set(await embedOnlyWindow(text, only), index * width);
    }
    return { data, dims: width };
  };

  const embedInputs = async (inputs: Inputs): Promise<{ data: Float32Array; dims: number }> => {
    const outputs = (await model(inputs)) as Record<string, Tensor | undefined>;
    const hidden = outputs.last_hidden_state ?? outputs.token_embeddings ?? outputs.logits;
    if (!hidden) {
      throw new Error(
        `the model returned ${Object.keys(outputs).join(', ')} but no last_hidden_state: it is ` +
          'not a feature-extraction model',
      );
    }
    const pooled: Tensor =
      init.pooling === 'mean' ? mean_pooling(hidden, inputs.attention_mask) : hidden.slice(null, 0);
    let normalized = pooled.normalize(2, -1);
    if (normalized.type !== 'float32') normalized = normalized.to('float32');
    const dims = normalized.dims[1]!;
    const raw = normalized.data as Float32Array;
    // Transfer a buffer that holds exactly these floats.
    const data =
      raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength ? raw : raw.slice();
    for (const tensor of Object.values(outputs)) tensor?.dispose();
    return { data, dims };
  };

  const probe = tokenizer(['a'], { padding: false }) as Partial<Inputs>;
  const takesTokenTypes = probe.token_type_ids !== undefined;
  const { dims: width } = await embedTexts(['warm up']);
  return { embed, dispose: () => model.dispose().then(() => undefined) };
}

/**
 * The special tokens a tokenizer appends to every text (`[SEP]` for BERT, `</s>` for RoBERTa),
 * found by comparing the encodings of two one-token texts.
 */
function closingSpecialTokens(encode: (texts: string[]) => bigint[][]): bigint[] {
  const [a = [], b = []] = encode(['a', 'b']);
  if (a.length !== b.length) return [];
  let suffix = 0;
  while (suffix < a.length && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix += 1;
  return suffix === a.length ? [] : a.slice(a.length - suffix);
}

/** The special tokens a tokenizer puts before every text (`[CLS]` for BERT, `<s>` for RoBERTa). */
function openingSpecialTokens(encode: (texts: string[]) => bigint[][]): bigint[] {
  const [a = [], b = []] = encode(['a', 'b']);
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix += 1;
  return a.slice(0, prefix);
}

/**
 * The tokenizer truncates by cutting the token list, which drops the closing special tokens of
 * long texts. Models were trained (and sentence-transformers runs them) with those tokens at the
 * end, so put them back over the last kept tokens.
 */
function restoreClosingTokens(ids: Tensor, mask: Tensor, closing: bigint[]): void {
  if (closing.length === 0) return;
  const [rows = 0, columns = 0] = ids.dims;
  const idData = ids.data as BigInt64Array;
  const maskData = mask.data as BigInt64Array;
  for (let row = 0; row < rows; row += 1) {
    // The last attended position; padding may sit on either side.
    let last = columns - 1;
    while (last >= 0 && maskData[row * columns + last] === 0n) last -= 1;
    const start = row * columns + last + 1 - closing.length;
    if (last + 1 - closing.length <= 0) continue;
    closing.forEach((token, index) => {
      idData[start + index] = token;
    });
  }
}

/**
 * Terminating a thread while ONNX Runtime is inside a run aborts the whole process, so the pool
 * asks the worker to close instead: it finishes the batch in hand, releases the session and ends.
 */
function main(): void {
  let model: LoadedModel | undefined;
  let busy = false;
  let closing = false;
  const queue: PoolMessage[] = [];

  const finish = async (): Promise<void> => {
    await model?.dispose().catch(() => undefined);
    port?.close();
  };

  const next = async (): Promise<void> => {
    while (!busy && model) {
      const request = queue.shift();
      if (!request) break;
      if (request.type === 'close') {
        closing = true;
        break;
      }
      busy = true;
      try {
        const { data, dims } = await model.embed(request.texts);
        send(
          {
            type: 'result',
            id: request.id,
            vectors: data,
            count: request.texts.length,
            dimensions: dims,
          },
          [data.buffer as ArrayBuffer],
        );
      } catch (error) {
        send({ type: 'error', id: request.id, message: describe(error) });
      } finally {
        busy = false;
      }
    }
    if (closing && !busy) await finish();
  };

  port?.on('message', (message: PoolMessage) => {
    queue.push(message);
    if (message.type === 'close') closing = true;
    void next();
  });

  load()
    .then(async (loaded) => {
      // Warm up: the first run allocates; it also tells the width of the vectors.
      const { dims } = await loaded.embed(['warm up']);
      model = loaded;
      if (closing) return finish();
      send({ type: 'ready', dimensions: dims });
      return next();
    })
    .catch((error: unknown) => {
      send({ type: 'load-failed', message: describe(error) });
      port?.close();
    });
}

main();
