import type { Kysely } from 'kysely';
import type { SqlHandle } from '../db/sql.ts';
import { ensureSchema } from '../db/migrator.ts';

/**
 * The portals that installed the app through OAuth, in the shared SQL layer (the SQLite file or PostgreSQL).
 * Tokens are stored sealed (token-cipher.ts): this module never sees them in clear. A row is never deleted by
 * an uninstall; it keeps `status = 'uninstalled'` and the reason, with its tokens erased.
 */

export type InstallationStatus = 'installed' | 'uninstalled';

export interface Installation {
  portalId: string;
  status: InstallationStatus;
  /** Sealed; empty once uninstalled. */
  accessTokenSealed: string;
  refreshTokenSealed: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  scopes: string[];
  installedAt: number;
  updatedAt: number;
  uninstalledAt: number | null;
  uninstallReason: string | null;
}

interface InstallationsTable {
  portal_id: string;
  status: string;
  access_token: string;
  refresh_token: string;
  expires_at: number;
  scopes: string;
  installed_at: number;
  updated_at: number;
  uninstalled_at: number | null;
  uninstall_reason: string | null;
}

interface OAuthDb {
  oauth_installations: InstallationsTable;
}

/** The port: where installations live. */
export interface InstallationStore {
  get(portalId: string): Promise<Installation | undefined>;
  list(): Promise<Installation[]>;
  /** Insert or replace (a re-install after an uninstall makes the row live again). */
  save(inst: Installation): Promise<void>;
  /** New tokens after a refresh; only for a portal still installed (false otherwise). */
  updateTokens(portalId: string, t: { accessTokenSealed: string; refreshTokenSealed: string; expiresAt: number; updatedAt: number }): Promise<boolean>;
  /** Erases the tokens and records why; false when it was not installed. */
  markUninstalled(portalId: string, reason: string, at: number): Promise<boolean>;
}

export async function createSqlInstallationStore(handle: SqlHandle): Promise<InstallationStore> {
  await ensureSchema(handle);
  return new SqlInstallationStore(handle.db as Kysely<OAuthDb>);
}

function toInstallation(r: InstallationsTable): Installation {
  return {
    portalId: r.portal_id,
    status: r.status === 'installed' ? 'installed' : 'uninstalled',
    accessTokenSealed: r.access_token,
    refreshTokenSealed: r.refresh_token,
    expiresAt: Number(r.expires_at),
    scopes: r.scopes === '' ? [] : r.scopes.split(' '),
    installedAt: Number(r.installed_at),
    updatedAt: Number(r.updated_at),
    uninstalledAt: r.uninstalled_at === null ? null : Number(r.uninstalled_at),
    uninstallReason: r.uninstall_reason,
  };
}

class SqlInstallationStore implements InstallationStore {
  constructor(private readonly db: Kysely<OAuthDb>) {}

  async get(portalId: string): Promise<Installation | undefined> {
    const row = await this.db.selectFrom('oauth_installations').selectAll().where('portal_id', '=', portalId).executeTakeFirst();
    return row ? toInstallation(row) : undefined;
  }

  async list(): Promise<Installation[]> {
    const rows = await this.db.selectFrom('oauth_installations').selectAll().orderBy('portal_id').execute();
    return rows.map(toInstallation);
  }

  async save(i: Installation): Promise<void> {
    const row: InstallationsTable = {
      portal_id: i.portalId,
      status: i.status,
      access_token: i.accessTokenSealed,
      refresh_token: i.refreshTokenSealed,
      expires_at: i.expiresAt,
      scopes: i.scopes.join(' '),
      installed_at: i.installedAt,
      updated_at: i.updatedAt,
      uninstalled_at: i.uninstalledAt,
      uninstall_reason: i.uninstallReason,
    };
    const { portal_id: _key, ...rest } = row;
    await this.db.insertInto('oauth_installations').values(row).onConflict((oc) => oc.column('portal_id').doUpdateSet(rest)).execute();
  }

  async updateTokens(portalId: string, t: { accessTokenSealed: string; refreshTokenSealed: string; expiresAt: number; updatedAt: number }): Promise<boolean> {
    const res = await this.db
      .updateTable('oauth_installations')
      .set({ access_token: t.accessTokenSealed, refresh_token: t.refreshTokenSealed, expires_at: t.expiresAt, updated_at: t.updatedAt })
      .where('portal_id', '=', portalId)
      .where('status', '=', 'installed')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async markUninstalled(portalId: string, reason: string, at: number): Promise<boolean> {
    const res = await this.db
      .updateTable('oauth_installations')
      .set({ status: 'uninstalled', access_token: '', refresh_token: '', expires_at: 0, updated_at: at, uninstalled_at: at, uninstall_reason: reason })
      .where('portal_id', '=', portalId)
      .where('status', '=', 'installed')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}
