import { NellieError, type NellieStore, type PrincipalStore } from '@nellie/core';
import { afterEach, describe, expect, it } from 'vitest';

export interface PrincipalStoreContractOptions<Store extends NellieStore = NellieStore> {
  /** Opens a new, empty store that keeps principals. The suite closes every store it opens. */
  create(): Promise<Store>;
  /**
   * Opens a second handle on the same database as `store` (another server process, say), or
   * leaves it out when the store cannot be shared.
   */
  reopen?(store: Store): Promise<NellieStore>;
}

async function rejection(promise: Promise<unknown>): Promise<NellieError> {
  try {
    await promise;
  } catch (error) {
    if (NellieError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/**
 * The behaviour every store keeping API keys (`store.principals`) must show. Run it from an
 * implementation's tests: `principalStoreContract('sqlite', { create: () => createSqliteStore(…) })`.
 */
export function principalStoreContract<Store extends NellieStore>(
  name: string,
  options: PrincipalStoreContractOptions<Store>,
): void {
  describe(`PrincipalStore contract: ${name}`, () => {
    const opened: NellieStore[] = [];

    async function open(): Promise<PrincipalStore> {
      const store = await options.create();
      opened.push(store);
      if (!store.principals) throw new Error('the store keeps no principals');
      return store.principals;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('creates a key whose secret is shown once and verifies to its principal and scope', async () => {
      const principals = await open();
      expect(await principals.hasApiKeys()).toBe(false);
      const created = await principals.createApiKey({
        principal: 'alice',
        scope: 'write',
        repositories: ['app', 'lib', 'app'],
        description: 'laptop',
      });
      expect(created.secret).toMatch(new RegExp(`^nellie_${created.key.id}_[A-Za-z0-9_-]{43}$`));
      expect(created.key).toMatchObject({
        principal: 'alice',
        scope: 'write',
        repositories: ['app', 'lib'],
        description: 'laptop',
        revokedAt: null,
      });
      expect(await principals.hasApiKeys()).toBe(true);
      expect(await principals.verifyApiKey(created.secret)).toEqual(created.key);
      const listed = await principals.listApiKeys();
      expect(listed).toEqual([created.key]);
      // Nothing listed carries the secret.
      expect(JSON.stringify(listed)).not.toContain(created.secret.slice(20));
    });

    it('keys without repositories see every repository', async () => {
      const principals = await open();
      const created = await principals.createApiKey({ principal: 'ci', scope: 'read' });
      expect(created.key.repositories).toBeNull();
      expect(created.key.description).toBeNull();
      expect((await principals.verifyApiKey(created.secret))?.repositories).toBeNull();
    });

    it('refuses wrong, malformed and other keys’ secrets', async () => {
      const principals = await open();
      const first = await principals.createApiKey({ principal: 'alice', scope: 'admin' });
      const second = await principals.createApiKey({ principal: 'bob', scope: 'read' });
      const forged = `nellie_${first.key.id}_${second.secret.slice(-43)}`;
      expect(await principals.verifyApiKey(forged)).toBeNull();
      expect(await principals.verifyApiKey('nellie_000000000000_' + 'a'.repeat(43))).toBeNull();
      expect(await principals.verifyApiKey('not a key')).toBeNull();
      expect(await principals.verifyApiKey('')).toBeNull();
      expect((await principals.verifyApiKey(second.secret))?.principal).toBe('bob');
    });

    it('revokes a key at once, keeps it listed with --all, and revoking again changes nothing', async () => {
      const principals = await open();
      const created = await principals.createApiKey({ principal: 'alice', scope: 'read' });
      const other = await principals.createApiKey({ principal: 'bob', scope: 'read' });
      const revoked = await principals.revokeApiKey(created.key.id);
      expect(revoked.revokedAt).not.toBeNull();
      expect(await principals.verifyApiKey(created.secret)).toBeNull();
      expect(await principals.verifyApiKey(other.secret)).not.toBeNull();
      expect((await principals.listApiKeys()).map((key) => key.id)).toEqual([other.key.id]);
      expect((await principals.listApiKeys({ includeRevoked: true })).map((key) => key.id)).toEqual(
        [created.key.id, other.key.id],
      );
      expect(await principals.revokeApiKey(created.key.id)).toEqual(revoked);
      // Revoking every key does not make keys optional again.
      await principals.revokeApiKey(other.key.id);
      expect(await principals.hasApiKeys()).toBe(true);
    });

    it('lists the keys of one principal', async () => {
      const principals = await open();
      await principals.createApiKey({ principal: 'alice', scope: 'read' });
      const bobs = await principals.createApiKey({ principal: 'bob', scope: 'write' });
      expect(await principals.listApiKeys({ principal: 'bob' })).toEqual([bobs.key]);
    });

    it('answers NOT_FOUND for an unknown id and INVALID_INPUT for bad input', async () => {
      const principals = await open();
      expect((await rejection(principals.revokeApiKey('0123456789ab'))).code).toBe('NOT_FOUND');
      expect((await rejection(principals.revokeApiKey('nope'))).code).toBe('INVALID_INPUT');
      const bad = [
        { principal: '', scope: 'read' },
        { principal: 'has space', scope: 'read' },
        { principal: 'alice', scope: 'owner' },
        { principal: 'alice', scope: 'read', repositories: [] },
        { principal: 'alice', scope: 'read', repositories: [''] },
        { principal: 'alice', scope: 'read', extra: true },
      ];
      for (const input of bad) {
        const error = await rejection(principals.createApiKey(input as never));
        expect(error.code, JSON.stringify(input)).toBe('INVALID_INPUT');
      }
      expect(await principals.hasApiKeys()).toBe(false);
    });

    if (options.reopen) {
      const reopen = (store: Store): Promise<NellieStore> => options.reopen!(store);
      it('a key revoked through one handle is refused by another at once', async () => {
        const first = await options.create();
        opened.push(first);
        const second = await reopen(first);
        opened.push(second);
        const created = await first.principals!.createApiKey({ principal: 'alice', scope: 'read' });
        expect(await second.principals!.verifyApiKey(created.secret)).not.toBeNull();
        await first.principals!.revokeApiKey(created.key.id);
        expect(await second.principals!.verifyApiKey(created.secret)).toBeNull();
      });
    }
  });
}
