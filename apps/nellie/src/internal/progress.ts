import cliProgress from 'cli-progress';
import type { IndexJob } from '@nellie/core';

export interface IndexProgressView {
  /** Shows the job's files processed out of files seen so far. */
  job(job: IndexJob): void;
  /** Shows vectors written out of the backlog when embedding started. */
  embeddings(done: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar on a terminal (on stderr, so `--json` output on stdout stays clean); nothing
 * when the stream is not a TTY.
 */
export function createIndexProgressView(stream: NodeJS.WriteStream): IndexProgressView {
  if (!stream.isTTY) {
    return { job: () => {}, embeddings: () => {}, stop: () => {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{phase} |{bar}| {value}/{total} {unit} {detail}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase: 'none' | 'files' | 'embeddings' = 'none';
  return {
    job(job) {
      const progress = job.progress;
      const done =
        progress.filesIndexed +
        progress.filesUnchanged +
        progress.filesSkipped +
        progress.filesFailed;
      const total = Math.max(progress.filesSeen, done, 1);
      const payload = {
        phase: 'Indexing  ',
        unit: 'files',
        detail: `· ${progress.chunksWritten} chunks`,
      };
      if (phase !== 'files') {
        if (phase !== 'none') bar.stop();
        bar.start(total, done, payload);
        phase = 'files';
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    embeddings(done, total) {
      const payload = { phase: 'Embedding ', unit: 'items', detail: '' };
      if (phase !== 'embeddings') {
        if (phase !== 'none') bar.stop();
        bar.start(Math.max(total, 1), done, payload);
        phase = 'embeddings';
      } else {
        bar.setTotal(Math.max(total, done, 1));
        bar.update(done, payload);
      }
    },
    stop() {
      if (phase !== 'none') bar.stop();
      phase = 'none';
    },
  };
}
