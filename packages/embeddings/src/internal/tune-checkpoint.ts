/**
 * Tuning state on disk: the table and Adagrad's accumulator after `stepsDone` steps, in files
 * named after the step, with `state.json` (written last) naming the step they belong to.
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
  const files = (steps: number): { table: string; accumulator: string } => ({
    table: join(dir, `table-${steps}.f32`),
    accumulator: join(dir, `accumulator-${steps}.f32`),
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
        readFile(paths.table),
        readFile(paths.accumulator),
      ]);
      const bytes = model.rows * model.dimensions * 4;
      if (table.length === bytes && accumulator.length === bytes) {
        model.table.set(float32FromLittleEndian(table));
        model.accumulator.set(float32FromLittleEndian(accumulator));
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
      await writeFile(paths.table, littleEndianBytes(model.table));
      await writeFile(paths.accumulator, littleEndianBytes(model.accumulator));
      await writeJsonAtomically(statePath, next);
      if (state.stepsDone > 0 && state.stepsDone !== next.stepsDone) {
        const old = files(state.stepsDone);
        await rm(old.table, { force: true });
        await rm(old.accumulator, { force: true });
      }
      state = next;
    },
  };
}
