import {
  describeRepositories,
  NellieError,
  type ApiKey,
  type NellieStore,
  type PrincipalStore,
} from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { openStore } from '../open-store.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStderr, writeStdout } from '../internal/output.ts';

/** Opens the store for one key command; an unknown key id exits 2 (usage). */
async function withPrincipals(
  context: CommandContext,
  work: (principals: PrincipalStore, store: NellieStore) => Promise<number>,
): Promise<number> {
  const store = await openStore(context.config.settings, { logger: context.logger });
  try {
    if (!store.principals) {
      throw new NellieError('INVALID_OPTIONS', 'This store cannot keep API keys.');
    }
    return await work(store.principals, store);
  } catch (error) {
    if (NellieError.is(error) && error.code === 'NOT_FOUND') {
      await writeStderr(`nellie: ${error.message}\n`);
      return exitCodes.usage;
    }
    throw error;
  } finally {
    await store.close();
  }
}

function describeKey(key: ApiKey): string {
  const repositories =
    key.repositories === null ? 'all repositories' : describeRepositories(key.repositories);
  const revoked = key.revokedAt === null ? '' : `  REVOKED ${key.revokedAt}`;
  const description = key.description === null ? '' : `  (${key.description})`;
  return `${key.id}\t${key.principal}\t${key.scope}\t${repositories}\tcreated ${key.createdAt}${description}${revoked}`;
}

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.map(String) : undefined;

/** `nellie keys create <principal> --scope …`: prints the new secret, once. */
export function runKeysCreate(context: CommandContext, principal: string): Promise<number> {
  const { options } = context;
  return withPrincipals(context, async (principals, store) => {
    const repositories = stringList(options.repository);
    const created = await principals.createApiKey({
      principal,
      scope: options.scope as ApiKey['scope'],
      repositories: repositories ?? null,
      description: typeof options.description === 'string' ? options.description : null,
    });
    await store.recordAudit({
      actor: 'cli',
      channel: 'cli',
      action: 'key.create',
      target: created.key.id,
      details: {
        principal: created.key.principal,
        scope: created.key.scope,
        repositories: created.key.repositories,
      },
    });
    if (options.json === true) {
      await printJson({ key: created.key, secret: created.secret });
    } else {
      await writeStdout(`${created.secret}\n`);
      await writeStderr(
        `Created key ${created.key.id} for ${created.key.principal} (${created.key.scope}, ${
          created.key.repositories === null
            ? 'all repositories'
            : describeRepositories(created.key.repositories)
        }). The secret above is shown only now; Nellie keeps only its hash. Send it as "Authorization: Bearer <secret>".\n`,
      );
    }
    return exitCodes.ok;
  });
}

/** `nellie keys list`: every live key (with `--all`, revoked ones too), never a secret. */
export function runKeysList(context: CommandContext): Promise<number> {
  const { options } = context;
  return withPrincipals(context, async (principals) => {
    const keys = await principals.listApiKeys({
      ...(typeof options.principal === 'string' ? { principal: options.principal } : {}),
      includeRevoked: options.all === true,
    });
    if (options.json === true) {
      await printJson({ keys });
    } else if (keys.length === 0) {
      await writeStdout(
        'No API key is stored; create one with `nellie keys create <principal> --scope <read|write|admin>`.\n',
      );
    } else {
      await writeStdout(`${keys.map(describeKey).join('\n')}\n`);
    }
    return exitCodes.ok;
  });
}

/** `nellie keys revoke <id>`: every server on the database refuses the key from now on. */
export function runKeysRevoke(context: CommandContext, id: string): Promise<number> {
  return withPrincipals(context, async (principals, store) => {
    const revoked = await principals.revokeApiKey(id);
    await store.recordAudit({
      actor: 'cli',
      channel: 'cli',
      action: 'key.revoke',
      target: revoked.id,
      details: { principal: revoked.principal },
    });
    if (context.options.json === true) {
      await printJson({ key: revoked });
    } else {
      await writeStdout(
        `Revoked key ${revoked.id} of ${revoked.principal} (${revoked.revokedAt}).\n`,
      );
    }
    return exitCodes.ok;
  });
}
