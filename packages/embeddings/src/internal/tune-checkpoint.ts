/**
 * Tuning state on disk: the table and Adagrad's accumulator after `stepsDone` steps (and the
 * query weights with theirs, when trained), in files named after the step, with `state.json` (written last) naming the step they belong to.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContrastiveTable } from './contrastive.ts';
import {
  float32FromLittleEndian,
  littleEndianBytes,
  writeJsonAtomically,
} from './static-model-files.ts';

export const tuneCheckpointDir = '.tune-checkpoint';

export interface TuneCheckpointState {
  fingerprint: string;
  stepsDone: number;
  /** Sum of the losses of the current epoch's steps so far. */
  epochLossSum: number;
}

export interface TuneCheckpoint {
  state: TuneCheckpointState;
  save(state: TuneCheckpointState): Promise<void>;
}

/**
 * Opens the checkpoint in `dir`: when it belongs to the same run (`fingerprint`), its table and
 * accumulator are loaded into `model`; otherwise the directory starts empty.
 */
export async function openTuneCheckpoint(
  dir: string,
  fingerprint: string,
  model: ContrastiveTable,
): Promise<TuneCheckpoint> {
  const statePath = join(dir, 'state.json');
  const files = (steps: number): Record<string, string> => ({
    table: join(dir, `table-${steps}.f32`),
    accumulator: join(dir, `accumulator-${steps}.f32`),
    ...(model.queryWeights
      ? {
          queryWeights: join(dir, `query-weights-${steps}.f32`),
          queryAccumulator: join(dir, `query-accumulator-${steps}.f32`),
        }
      : {}),
  });
  let state: TuneCheckpointState = { fingerprint, stepsDone: 0, epochLossSum: 0 };
  try {
    const saved = JSON.parse(await readFile(statePath, 'utf8')) as Partial<TuneCheckpointState>;
    if (
      saved.fingerprint === fingerprint &&
      typeof saved.stepsDone === 'number' &&
      saved.stepsDone > 0 &&
      typeof saved.epochLossSum === 'number'
    ) {
      const paths = files(saved.stepsDone);
      const [table, accumulator] = await Promise.all([
        readFile(paths.table!),
        readFile(paths.accumulator!),
      ]);
      const [queryWeights, queryAccumulator] = model.queryWeights
        ? await Promise.all([readFile(paths.queryWeights!), readFile(paths.queryAccumulator!)])
        : [];
      const bytes = model.rows * model.dimensions * 4;
      const weightBytes = model.rows * 4;
      if (
        table.length === bytes &&
        accumulator.length === bytes &&
        (!model.queryWeights ||
          (queryWeights?.length === weightBytes && queryAccumulator?.length === weightBytes))
      ) {
        model.table.set(float32FromLittleEndian(table));
        model.accumulator.set(float32FromLittleEndian(accumulator));
        if (model.queryWeights && queryWeights && queryAccumulator) {
          model.queryWeights.weights.set(float32FromLittleEndian(queryWeights));
          model.queryWeights.accumulator.set(float32FromLittleEndian(queryAccumulator));
        }
        state = saved as TuneCheckpointState;
      }
    }
  } catch {
    // No usable checkpoint: start from the base table.
  }
  if (state.stepsDone === 0) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return {
    state,
    async save(next) {
      const paths = files(next.stepsDone);
      await writeFile(paths.table!, littleEndianBytes(model.table));
      await writeFile(paths.accumulator!, littleEndianBytes(model.accumulator));
      if (model.queryWeights) {
        await writeFile(paths.queryWeights!, littleEndianBytes(model.queryWeights.weights));
        await writeFile(paths.queryAccumulator!, littleEndianBytes(model.queryWeights.accumulator));
      }
      await writeJsonAtomically(statePath, next);
      if (state.stepsDone > 0 && state.stepsDone !== next.stepsDone) {
        for (const path of Object.values(files(state.stepsDone))) await rm(path, { force: true });
      }
      state = next;
    },
  };
}
