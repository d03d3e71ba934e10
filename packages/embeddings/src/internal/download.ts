import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { NellieError } from '@nellie/core';

export interface DownloadRequest {
  url: string;
  /** File the body is written to (created or truncated). */
  target: string;
  fetch: typeof globalThis.fetch;
  headers: Record<string, string>;
  /** Longest wait for the response headers or the next bytes of the body. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Label for messages, e.g. `onnx/model_quantized.onnx`. */
  label: string;
  onBytes?: (receivedBytes: number, totalBytes: number | undefined) => void;
}

export interface DownloadResult {
  bytes: number;
  sha256: string;
  /** Content-Length announced by the server, when it sent one. */
  announcedBytes?: number;
}

const stalled = Symbol('stalled');

/** Streams a URL into a file while hashing it; errors say what failed and how to go on. */
export async function downloadToFile(request: DownloadRequest): Promise<DownloadResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(stalled), request.timeoutMs);
  };
  const onAbort = (): void => controller.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', onAbort, { once: true });
  if (request.signal?.aborted) onAbort();

  const hash = createHash('sha256');
  let bytes = 0;
  let announcedBytes: number | undefined;
  const failure = (error: unknown): NellieError => {
    if (NellieError.is(error)) return error;
    if (request.signal?.aborted) {
      return new NellieError('ABORTED', `Downloading ${request.label} was cancelled.`, {
        cause: error,
      });
    }
    if (controller.signal.reason === stalled) {
      return new NellieError(
        'MODEL_LOAD_FAILED',
        `Downloading ${request.label} from ${request.url} stalled: no data for ` +
          `${request.timeoutMs} ms (received ${bytes} bytes). Check the network or proxy and ` +
          'retry, or fetch the model on another machine and use `nellie model import <dir>`.',
        { cause: error },
      );
    }
    if (announcedBytes !== undefined && bytes < announcedBytes) {
      return new NellieError(
        'MODEL_VERIFICATION_FAILED',
        `Downloading ${request.label} from ${request.url} was cut short: received ${bytes} of ` +
          `${announcedBytes} bytes. The partial file was deleted; run the download again.`,
        { cause: error },
      );
    }
    return new NellieError(
      'MODEL_LOAD_FAILED',
      `Downloading ${request.label} from ${request.url} failed: ${describe(error)}. Check the ` +
        'network or proxy and retry, or use `nellie model import <dir>` on an air-gapped machine.',
      { cause: error },
    );
  };

  const file = await open(request.target, 'w');
  try {
    arm();
    const response = await request.fetch(request.url, {
      headers: request.headers,
      signal: controller.signal,
      redirect: 'follow',
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 404) {
        throw new NellieError(
          'MODEL_NOT_FOUND',
          `The model host has no ${request.label} (HTTP 404 from ${request.url}). Check the ` +
            'model id, the dtype (each dtype needs its own weights file) and the revision.',
        );
      }
      const hint =
        response.status === 401 || response.status === 403
          ? 'The model may be private or gated: pass an access token.'
          : 'Retry later, or use `nellie model import <dir>` with files fetched elsewhere.';
      throw new NellieError(
        'MODEL_LOAD_FAILED',
        `Downloading ${request.label} failed: HTTP ${response.status} ${response.statusText} ` +
          `from ${request.url}. ${hint}`,
      );
    }
    const length = Number(response.headers.get('content-length'));
    announcedBytes = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
    if (!response.body) throw new Error('the response has no body');
    arm();
    for await (const chunk of response.body) {
      arm();
      const data = chunk as Uint8Array;
      hash.update(data);
      bytes += data.byteLength;
      await file.write(data);
      request.onBytes?.(bytes, announcedBytes);
    }
    if (announcedBytes !== undefined && bytes !== announcedBytes) {
      throw new NellieError(
        'MODEL_VERIFICATION_FAILED',
        `Downloading ${request.label} from ${request.url} returned ${bytes} bytes where the ` +
          `server announced ${announcedBytes}. The file was deleted; run the download again.`,
      );
    }
    return { bytes, sha256: hash.digest('hex'), announcedBytes };
  } catch (error) {
    throw failure(error);
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
    await file.close();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
