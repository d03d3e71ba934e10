import { NellieError } from '@nellie/core';
import { planEmbeddingModel, writeCompositeModel } from '@nellie/embeddings';
import type { CommandContext } from '../cli.ts';
import { embeddingModelOptions } from '../config.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';

/** `<dir>=<weight>` → the part; anything else is `INVALID_INPUT`. */
function parsePart(value: string): { dir: string; weight: number } {
  const split = value.lastIndexOf('=');
  const dir = value.slice(0, split);
  const weightText = value.slice(split + 1);
  const weight = Number(weightText);
  if (split <= 0 || weightText.trim() === '' || !Number.isFinite(weight)) {
    throw new NellieError(
      'INVALID_INPUT',
      `--part takes <model dir>=<weight>, e.g. /srv/models/all-MiniLM-L6-v2=0.65; got ${JSON.stringify(value)}.`,
    );
  }
  return { dir, weight };
}

/**
 * `nellie model compose --out <dir> --part <dir>=<weight> --part <dir>=<weight>`: writes a
 * composite model whose vector joins those of the parts (its cosine is the weighted sum of
 * theirs), then plans it with the configured model settings to name its id and width.
 */
export async function runModelCompose(context: CommandContext): Promise<number> {
  const { config, logger, options } = context;
  const out = options.out;
  const values = (Array.isArray(options.part) ? options.part : [options.part]).filter(
    (value): value is string => typeof value === 'string',
  );
  if (typeof out !== 'string' || values.length < 2) {
    throw new NellieError(
      'INVALID_INPUT',
      'Name the output with --out <dir> and at least two parts with --part <model dir>=<weight>.',
    );
  }
  const written = await writeCompositeModel({
    outDir: out,
    parts: values.map(parsePart),
    overwrite: options.overwrite === true,
  });
  const plan = await planEmbeddingModel({
    ...embeddingModelOptions(config, { logger }),
    provider: 'local',
    modelDir: written.dir,
  });
  if (plan.state === 'off') {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `${written.dir} was written, but it cannot be used: ${plan.status.message ?? plan.status.state}`,
    );
  }
  const result = {
    dir: written.dir,
    modelId: plan.modelId,
    dimensions: plan.dimensions ?? null,
    parts: (plan.parts ?? []).map((part) => ({
      modelId: part.modelId,
      kind: part.kind,
      weight: part.weight,
      dir: part.dir,
    })),
  };
  if (options.json === true) {
    await printJson(result);
    return exitCodes.ok;
  }
  await writeStdout(
    [
      `Wrote the composite model ${result.modelId} into ${result.dir}:`,
      ...result.parts.map(
        (part) => `  ${part.modelId} (${part.kind}, weight ${part.weight}) from ${part.dir}`,
      ),
      `  ${result.dimensions ?? 'unknown'} dimensions.`,
      `Use it with --model-dir ${result.dir} (or NELLIE_MODEL_DIR); switching models needs \`nellie model reset-vectors\` first.`,
    ].join('\n') + '\n',
  );
  return exitCodes.ok;
}
