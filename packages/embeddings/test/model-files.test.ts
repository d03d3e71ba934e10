/* eslint-disable @typescript-eslint/no-unsafe-assignment -- vitest's asymmetric matchers (expect.stringContaining…) are typed any */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile, cp, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalEmbedder,
  importModel,
  pullModel,
  resolveModel,
  verifyModel,
  type PullProgress,
} from '../src/index.ts';
import { fakeModel, startModelServer } from './model-server.ts';
import { standInModelDir, withTempDir } from './helpers.ts';

const model = 'test-org/tiny-model';
const { files, manifest } = fakeModel(model);
let server: Awaited<ReturnType<typeof startModelServer>>;

beforeAll(async () => {
  server = await startModelServer(files);
});
afterAll(async () => {
  await server.close();
});

async function writeModelDir(dir: string, skip: string[] = []): Promise<void> {
  for (const [file, data] of Object.entries(files)) {
    if (skip.includes(file)) continue;
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), data);
  }
}

async function leftovers(cacheDir: string): Promise<string[]> {
  const org = path.join(cacheDir, 'test-org');
  const staging = existsSync(org) ? await readdir(org) : [];
  return [...(await readdir(cacheDir)), ...staging].filter((name) => name.startsWith('.'));
}

describe('pullModel', () => {
  it('downloads, verifies and records every file, then skips verified files next time', async () => {
    await withTempDir(async (cacheDir) => {
      const events: PullProgress[] = [];
      const result = await pullModel({
        model,
        cacheDir,
        hubUrl: server.url('good'),
        manifest,
        onProgress: (event) => events.push(event),
      });
      expect(result.verified).toBe(true);
      expect(result.revision).toBe('abc123');
      expect(result.dir).toBe(path.join(cacheDir, 'test-org', 'tiny-model'));
      for (const [file, data] of Object.entries(files)) {
        expect(await readFile(path.join(result.dir, file))).toEqual(data);
      }
      expect(events.filter((event) => event.state === 'verified')).toHaveLength(4);
      expect(
        server.requests.some((url) => url.includes('/resolve/abc123/onnx/model_quantized.onnx')),
      ).toBe(true);
      expect(await leftovers(cacheDir)).toEqual([]);

      const again = await pullModel({ model, cacheDir, hubUrl: server.url('good'), manifest });
      expect(again.files.every((file) => !file.downloaded)).toBe(true);

      await expect(resolveModel({ model, cacheDir })).resolves.toMatchObject({
        source: 'cache',
        dir: result.dir,
      });
      await expect(verifyModel(result.dir, { model, manifest })).resolves.toMatchObject({
        state: 'verified',
      });
    });
  });

  it.each([
    ['corrupt', /sha256 is [0-9a-f]{64}, expected/],
    ['truncated', /131072 bytes where 262144 were expected/],
    ['cut', /cut short: received \d+ of 262144 bytes/],
  ] as const)(
    'rejects a %s weights file with MODEL_VERIFICATION_FAILED and keeps nothing of it',
    async (behaviour, message) => {
      await withTempDir(async (cacheDir) => {
        await expect(
          pullModel({ model, cacheDir, hubUrl: server.url(behaviour), manifest }),
        ).rejects.toMatchObject({
          code: 'MODEL_VERIFICATION_FAILED',
          message: expect.stringMatching(message),
        });
        // Nothing at all: no model directory, not even the organisation's.
        expect(await readdir(cacheDir)).toEqual([]);
        await expect(resolveModel({ model, cacheDir })).rejects.toMatchObject({
          code: 'MODEL_NOT_FOUND',
        });
      });
    },
  );

  it('turns a 404 into MODEL_NOT_FOUND naming the file', async () => {
    await withTempDir(async (cacheDir) => {
      await expect(
        pullModel({ model, cacheDir, hubUrl: server.url('missing'), manifest }),
      ).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        message: expect.stringContaining(
          'onnx/model_quantized.onnx of test-org/tiny-model@abc123 (HTTP 404',
        ),
      });
    });
  });

  it('gives up on a stalled server after the timeout with a clear message', async () => {
    await withTempDir(async (cacheDir) => {
      await expect(
        pullModel({ model, cacheDir, hubUrl: server.url('slow'), manifest, timeoutMs: 200 }),
      ).rejects.toMatchObject({
        code: 'MODEL_LOAD_FAILED',
        message: expect.stringMatching(/stalled: no data for 200 ms/),
      });
      expect(await readdir(cacheDir)).toEqual([]);
    });
  });

  it('stops with ABORTED when cancelled', async () => {
    await withTempDir(async (cacheDir) => {
      const controller = new AbortController();
      const pulling = pullModel({
        model,
        cacheDir,
        hubUrl: server.url('slow'),
        manifest,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.file.startsWith('onnx/')) controller.abort();
        },
      });
      await expect(pulling).rejects.toMatchObject({ code: 'ABORTED' });
      expect(await readdir(cacheDir)).toEqual([]);
    });
  });

  it('keeps an earlier good pull intact when pulling again fails', async () => {
    await withTempDir(async (cacheDir) => {
      const first = await pullModel({ model, cacheDir, hubUrl: server.url('good'), manifest });
      const weights = path.join(first.dir, 'onnx', 'model_quantized.onnx');
      // Damaged on disk, so the next pull downloads it again — from a mirror that alters it.
      await truncate(weights, 10);
      await expect(
        pullModel({ model, cacheDir, hubUrl: server.url('corrupt'), manifest }),
      ).rejects.toMatchObject({ code: 'MODEL_VERIFICATION_FAILED' });
      expect((await readFile(weights)).length).toBe(10);
      expect(await leftovers(cacheDir)).toEqual([]);
      const repaired = await pullModel({ model, cacheDir, hubUrl: server.url('good'), manifest });
      expect(
        repaired.files.find((file) => file.path === 'onnx/model_quantized.onnx'),
      ).toMatchObject({ downloaded: true, verified: true });
      await expect(verifyModel(first.dir, { model, manifest })).resolves.toMatchObject({
        state: 'verified',
      });
    });
  });

  it('removes what a pull killed mid-download left behind, but not the files of a running pull', async () => {
    await withTempDir(async (cacheDir) => {
      const org = path.join(cacheDir, 'test-org');
      // pid 2^22 + 1 is above Linux's pid_max: no such process.
      const abandoned = path.join(org, '.tiny-model.pull-4194305-abc123');
      const running = path.join(org, `.tiny-model.pull-${process.pid}-def456`);
      await mkdir(path.join(abandoned, 'onnx'), { recursive: true });
      await writeFile(path.join(abandoned, 'onnx', 'model_quantized.onnx'), 'partial');
      await mkdir(running, { recursive: true });
      await pullModel({ model, cacheDir, hubUrl: server.url('good'), manifest });
      expect(existsSync(abandoned)).toBe(false);
      expect(existsSync(running)).toBe(true);
    });
  });

  it('reports a server that cannot be reached', async () => {
    await withTempDir(async (cacheDir) => {
      await expect(
        pullModel({ model, cacheDir, hubUrl: 'http://127.0.0.1:9', manifest }),
      ).rejects.toMatchObject({
        code: 'MODEL_LOAD_FAILED',
        message: expect.stringContaining('failed'),
      });
    });
  });

  it('downloads without a manifest, records the checksums and lets verifyModel use them', async () => {
    await withTempDir(async (cacheDir) => {
      const result = await pullModel({
        model,
        cacheDir,
        hubUrl: server.url('good'),
        manifest: null,
      });
      expect(result.verified).toBe(false);
      // special_tokens_map.json is optional: the 404 for it is not an error.
      expect(result.files.map((file) => file.path).sort()).toEqual(Object.keys(files).sort());
      const verification = await verifyModel(result.dir, { model });
      expect(verification).toMatchObject({ state: 'verified', checksums: 'pull-record' });

      await truncate(path.join(result.dir, 'onnx', 'model_quantized.onnx'), 1000);
      await expect(resolveModel({ model, cacheDir })).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        message: expect.stringContaining('damaged: onnx/model_quantized.onnx has 1000 bytes'),
      });
    });
  });
});

describe('pullModel with real model files from a local Hub', () => {
  it('leaves nothing after a failed pull of the stand-in, and a good pull loads and embeds', async () => {
    const source = standInModelDir();
    const real: Record<string, Buffer> = {};
    for (const file of [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'onnx/model_quantized.onnx',
    ]) {
      real[file] = await readFile(path.join(source, file));
    }
    const realManifest = {
      model: 'Xenova/all-MiniLM-L6-v2',
      revision: 'stand-in',
      files: Object.entries(real).map(([file, data]) => ({
        path: file,
        bytes: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
        ...(file.startsWith('onnx/') ? { dtype: 'q8' as const } : {}),
      })),
    };
    const hub = await startModelServer(real);
    try {
      await withTempDir(async (cacheDir) => {
        for (const behaviour of ['cut', 'corrupt'] as const) {
          await expect(
            pullModel({
              model: realManifest.model,
              cacheDir,
              hubUrl: hub.url(behaviour),
              manifest: realManifest,
            }),
          ).rejects.toMatchObject({ code: 'MODEL_VERIFICATION_FAILED' });
          expect(await readdir(cacheDir)).toEqual([]);
        }
        const pulled = await pullModel({
          model: realManifest.model,
          cacheDir,
          hubUrl: hub.url('good'),
          manifest: realManifest,
        });
        expect(await readdir(path.dirname(pulled.dir))).toEqual(['all-MiniLM-L6-v2']);
        await using embedder = await createLocalEmbedder({
          model: realManifest.model,
          modelDir: pulled.dir,
          threads: 1,
          queryWorker: false,
        });
        const [vector] = await embedder.embed(['function add(a, b) { return a + b; }']);
        expect(vector).toHaveLength(384);
      });
    } finally {
      await hub.close();
    }
  });
});

describe('verifyModel', () => {
  it('accepts a trusted directory whose files differ from the published ones, but not an incomplete one', async () => {
    const genuine = path.resolve(standInModelDir(), '..', '..', 'all-MiniLM-L6-v2');
    const result = await verifyModel(genuine, { trusted: true });
    expect(result.state).toBe('trusted');
    expect(result.files.find((file) => file.path === 'onnx/model_quantized.onnx')).toMatchObject({
      status: 'differs',
      actualBytes: 22_807_214,
      actualSha256: 'eb8fab17ce5faf40dc204d36a0515e2b78ae70ccfbb2ee0af9d740bff0facc96',
      expectedBytes: 22_972_370,
    });
    // Not trusted, the same directory is refused.
    expect((await verifyModel(genuine)).state).toBe('failed');

    await withTempDir(async (dir) => {
      await cp(standInModelDir(), dir, { recursive: true });
      await rm(path.join(dir, 'tokenizer.json'));
      const incomplete = await verifyModel(dir, { trusted: true });
      expect(incomplete.state).toBe('failed');
      expect(incomplete.message).toContain('tokenizer.json is missing');
    });
  });

  it('reports each file of a directory that differs from the manifest', async () => {
    await withTempDir(async (dir) => {
      await writeModelDir(dir, ['tokenizer_config.json']);
      await writeFile(path.join(dir, 'config.json'), '{"changed":true}');
      const result = await verifyModel(dir, { model, manifest });
      expect(result.state).toBe('failed');
      const status = Object.fromEntries(result.files.map((file) => [file.path, file.status]));
      expect(status).toEqual({
        'config.json': 'size-mismatch',
        'tokenizer.json': 'ok',
        'tokenizer_config.json': 'missing',
        'onnx/model_quantized.onnx': 'ok',
      });
      expect(result.message).toContain('tokenizer_config.json is missing');
    });
  });

  it('refuses the stand-in as the genuine default model: only its weights differ', async () => {
    const result = await verifyModel(standInModelDir());
    expect(result.state).toBe('failed');
    expect(result.checksums).toBe('manifest');
    const weights = result.files.find((file) => file.path === 'onnx/model_quantized.onnx');
    expect(weights).toMatchObject({ status: 'size-mismatch', expectedBytes: 22_972_370 });
    expect(
      result.files
        .filter((file) => file.status === 'ok')
        .map((file) => file.path)
        .sort(),
    ).toEqual([
      'config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
  });

  it('calls files without known checksums unverified', async () => {
    await withTempDir(async (dir) => {
      await writeModelDir(dir);
      await expect(verifyModel(dir, 'someone/else')).resolves.toMatchObject({
        state: 'unverified',
        checksums: 'none',
      });
    });
  });
});

describe('importModel', () => {
  it('copies a verified directory into the cache where resolveModel finds it', async () => {
    await withTempDir(async (root) => {
      const source = path.join(root, 'download');
      const cacheDir = path.join(root, 'models');
      await writeModelDir(source);
      await writeFile(path.join(source, 'README.md'), 'not needed');
      const result = await importModel(source, cacheDir, { model, manifest });
      expect(result.verified).toBe(true);
      expect((await readdir(result.dir)).sort()).toEqual([
        '.nellie-model.json',
        'config.json',
        'onnx',
        'tokenizer.json',
        'tokenizer_config.json',
      ]);
      await expect(resolveModel({ model, cacheDir })).resolves.toMatchObject({ source: 'cache' });
      expect(await leftovers(cacheDir)).toEqual([]);
    });
  });

  it('refuses altered files unless told to trust them', async () => {
    await withTempDir(async (root) => {
      const source = path.join(root, 'download');
      const cacheDir = path.join(root, 'models');
      await writeModelDir(source);
      await writeFile(path.join(source, 'onnx', 'model_quantized.onnx'), Buffer.alloc(262_144));
      await expect(importModel(source, cacheDir, { model, manifest })).rejects.toMatchObject({
        code: 'MODEL_VERIFICATION_FAILED',
        message: expect.stringMatching(/onnx\/model_quantized\.onnx has sha256 [\s\S]*--no-verify/),
      });
      expect(existsSync(path.join(cacheDir, 'test-org', 'tiny-model', 'onnx'))).toBe(false);
      const trusted = await importModel(source, cacheDir, { model, manifest, verify: false });
      expect(trusted.verified).toBe(false);
    });
  });

  it('cannot verify a model without known checksums and says how to import it anyway', async () => {
    await withTempDir(async (root) => {
      await writeModelDir(path.join(root, 'src'));
      await expect(
        importModel(path.join(root, 'src'), path.join(root, 'models'), { model: 'other/model' }),
      ).rejects.toMatchObject({
        code: 'MODEL_VERIFICATION_FAILED',
        message: expect.stringContaining('No checksums are known for other/model'),
      });
    });
  });

  it('names the missing file of an incomplete directory', async () => {
    await withTempDir(async (root) => {
      await writeModelDir(path.join(root, 'src'), ['tokenizer.json']);
      await expect(
        importModel(path.join(root, 'src'), path.join(root, 'models'), { model, manifest }),
      ).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        message: expect.stringContaining('missing tokenizer.json'),
      });
    });
  });

  it('imports the stand-in as trusted files, so the cache serves it', async () => {
    await withTempDir(async (cacheDir) => {
      await expect(importModel(standInModelDir(), cacheDir)).rejects.toMatchObject({
        code: 'MODEL_VERIFICATION_FAILED',
      });
      const result = await importModel(standInModelDir(), cacheDir, { verify: false });
      expect(result.dir).toBe(path.join(cacheDir, 'Xenova', 'all-MiniLM-L6-v2'));
      await expect(resolveModel({ cacheDir })).resolves.toMatchObject({ source: 'cache' });
    });
  });
});

describe('resolveModel', () => {
  it('lists every place it looked and the fixes when nothing is found', async () => {
    await withTempDir(async (cacheDir) => {
      const error = await resolveModel({ cacheDir }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND' });
      const { message } = error as Error;
      expect(message).toContain(
        'Xenova/all-MiniLM-L6-v2 (dtype q8, weights onnx/model_quantized.onnx)',
      );
      expect(message).toContain('1. model directory: no model directory configured');
      expect(message).toContain(
        `2. model cache ${path.join(cacheDir, 'Xenova', 'all-MiniLM-L6-v2')}: not there`,
      );
      expect(message).toContain('3. Hub download: downloads are not allowed');
      expect(message).toContain('downloads are not allowed');
      expect(message).toContain('nellie model pull');
      expect(message).toContain('nellie model import <dir>');
      expect(message).toContain('NELLIE_MODEL_DIR');
    });
  });

  it('plans a download into the cache only when remote access is allowed', async () => {
    await withTempDir(async (cacheDir) => {
      await expect(resolveModel({ cacheDir, allowRemote: true })).resolves.toMatchObject({
        source: 'remote',
        dir: path.join(cacheDir, 'Xenova', 'all-MiniLM-L6-v2'),
      });
      await expect(resolveModel({ allowRemote: true })).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        message: expect.stringContaining('downloads need a model cache'),
      });
    });
  });

  it('uses an explicit model directory in place, before the cache', async () => {
    await expect(
      resolveModel({ modelDir: standInModelDir(), cacheDir: '/nonexistent' }),
    ).resolves.toMatchObject({
      source: 'model-dir',
      dir: standInModelDir(),
      weightsFile: 'onnx/model_quantized.onnx',
    });
  });

  it('explains a directory that lacks the weights of the requested dtype', async () => {
    const error = await resolveModel({ modelDir: standInModelDir(), dtype: 'fp32' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect((error as Error).message).toContain('missing onnx/model.onnx');
    expect((error as Error).message).toContain('q8 → onnx/model_quantized.onnx, int8');
    expect((error as Error).message).toContain(
      'It holds onnx/model_quantized.onnx (dtype q8): set the dtype to q8',
    );
  });

  it('names the missing tokenizer of an incomplete directory, and a missing directory', async () => {
    await withTempDir(async (root) => {
      await cp(standInModelDir(), root, { recursive: true });
      await rm(path.join(root, 'tokenizer.json'), { force: true });
      await expect(resolveModel({ modelDir: root })).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        message: expect.stringContaining('incomplete: missing tokenizer.json'),
      });
      await expect(resolveModel({ modelDir: path.join(root, 'nope') })).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        message: expect.stringContaining('does not exist'),
      });
    });
  });
});

describe('model options', () => {
  it('refuse a model id that is not org/name, and a dtype there is no file for, in every entry point', async () => {
    const cacheDir = '/nonexistent-cache';
    const badId = { model: '../outside', manifest };
    const badDtype = { model, dtype: 'q3' as 'q8' };
    for (const attempt of [
      () => pullModel({ ...badId, cacheDir }),
      () => importModel('/nonexistent-source', cacheDir, badId),
      () => verifyModel('/nonexistent-model', badId),
      () => resolveModel({ model: badId.model, cacheDir }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining('must be a model id such as Xenova/all-MiniLM-L6-v2'),
      });
    }
    for (const attempt of [
      () => pullModel({ ...badDtype, cacheDir }),
      () => importModel('/nonexistent-source', cacheDir, badDtype),
      () => verifyModel('/nonexistent-model', badDtype),
      () => resolveModel({ ...badDtype, cacheDir }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining('dtype'),
      });
    }
  });
});
