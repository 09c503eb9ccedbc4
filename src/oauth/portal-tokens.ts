import { AppError } from '../errors.ts';
import type { AccessTokenSource } from '../hubspot/access-token-source.ts';
import { HubSpotTransientError } from '../hubspot/errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { OAuthGrantRejectedError, type HubSpotOAuthApi } from './hubspot-oauth-client.ts';
import type { Installation, InstallationStore } from './installation-store.ts';
import type { TokenCipher } from './token-cipher.ts';

/**
 * The OAuth tokens of every portal that installed the app: install (code → tokens), a valid access token on
 * demand (refreshed `refreshSkewMs` before it expires), one refresh after a 401, and uninstall. Concurrent
 * refreshes of one portal in this process share one request (single flight); across processes HubSpot's refresh
 * token does not rotate, so two processes refreshing at once both get a working token. A refresh HubSpot refuses
 * (`BAD_REFRESH_TOKEN`: the app was removed) marks the portal uninstalled and tells every listener, so its work
 * stops. Tokens are sealed before they reach the store and never appear in a log line or an error message.
 */

export class PortalNotInstalledError extends AppError {
  constructor(readonly portalId: string | undefined, message: string) {
    super('PORTAL_NOT_INSTALLED', message);
  }
}

export class PortalUninstalledError extends AppError {
  constructor(readonly portalId: string, reason: string | null) {
    super('PORTAL_UNINSTALLED', `HubSpot portal ${portalId} no longer has the app installed${reason ? ` (${reason})` : ''}; its work is stopped until it installs the app again`);
  }
}

/** What may be shown about an installation: never a token. */
export interface InstallationView {
  portalId: string;
  status: Installation['status'];
  scopes: string[];
  accessTokenExpiresAt: string | null;
  installedAt: string;
  uninstalledAt: string | null;
  uninstallReason: string | null;
}

export type UninstallListener = (portalId: string, reason: string) => void | Promise<void>;

export interface PortalTokensOptions {
  store: InstallationStore;
  cipher: TokenCipher;
  api: HubSpotOAuthApi;
  /** HUBSPOT_APP_ID: a code issued for another app is refused at install. */
  appId?: string;
  /** Refresh this long before expiry (default 5 minutes; HubSpot's tokens live 30). */
  refreshSkewMs?: number;
  logger?: Logger;
  now?: () => number;
}

interface Cached {
  token: string;
  expiresAt: number;
}

export class PortalTokens {
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<string>>();
  /** Tokens HubSpot answered 401 to, per portal, until the next refresh (never logged). */
  private readonly rejected = new Map<string, Set<string>>();
  private readonly listeners: UninstallListener[] = [];
  private readonly now: () => number;
  private readonly skew: number;
  private readonly logger: Logger;
  readonly stats = { refreshes: 0, refreshFailures: 0, installs: 0, uninstalls: 0 };

  constructor(private readonly opts: PortalTokensOptions) {
    this.now = opts.now ?? Date.now;
    this.skew = opts.refreshSkewMs ?? 5 * 60_000;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'oauth' });
  }

  onUninstalled(listener: UninstallListener): void {
    this.listeners.push(listener);
  }

  /** The callback's work: exchanges the code, asks HubSpot which portal the token is for, stores it sealed. */
  async install(code: string): Promise<InstallationView> {
    const grant = await this.opts.api.exchangeCode(code);
    const info = await this.opts.api.inspect(grant.accessToken);
    if (this.opts.appId !== undefined && info.appId !== this.opts.appId) {
      throw new AppError('OAUTH_WRONG_APP', `the authorization was issued for app ${info.appId}, not this app (${this.opts.appId})`);
    }
    const at = this.now();
    const { cipher } = this.opts;
    const inst: Installation = {
      portalId: info.portalId,
      status: 'installed',
      accessTokenSealed: cipher.seal(grant.accessToken, info.portalId),
      refreshTokenSealed: cipher.seal(grant.refreshToken, info.portalId),
      expiresAt: at + grant.expiresInSec * 1000,
      scopes: info.scopes,
      installedAt: at,
      updatedAt: at,
      uninstalledAt: null,
      uninstallReason: null,
    };
    await this.opts.store.save(inst);
    this.cache.set(inst.portalId, { token: grant.accessToken, expiresAt: inst.expiresAt });
    this.stats.installs++;
    this.logger.info({ portalId: inst.portalId, scopes: inst.scopes }, 'portal installed the app');
    return view(inst);
  }

  /** A token for the next call to `portalId`, refreshed first when it expires within the skew. */
  async accessToken(portalId: string): Promise<string> {
    const cached = this.cache.get(portalId);
    if (cached && cached.expiresAt - this.skew > this.now()) return cached.token;
    const inst = await this.installed(portalId);
    if (inst.expiresAt - this.skew > this.now()) return this.remember(inst);
    return this.refresh(portalId);
  }

  /** After HubSpot answered 401 to `rejected`: a token another process refreshed meanwhile, or one refresh. */
  async renewAfterUnauthorized(portalId: string, rejected: string): Promise<string> {
    const pending = this.inflight.get(portalId);
    if (pending) return pending;
    const seen = this.rejected.get(portalId) ?? new Set<string>();
    seen.add(rejected);
    this.rejected.set(portalId, seen);
    this.cache.delete(portalId);
    const inst = await this.installed(portalId);
    const stored = this.opts.cipher.open(inst.accessTokenSealed, portalId);
    // Another process may have refreshed meanwhile: its token is tried once; a rejected one forces a refresh.
    if (!seen.has(stored) && inst.expiresAt - this.skew > this.now()) return this.remember(inst);
    return this.refresh(portalId);
  }

  /** Marks the portal uninstalled (erasing its tokens) and tells the listeners; false if it already was. */
  async uninstall(portalId: string, reason: string): Promise<boolean> {
    this.cache.delete(portalId);
    this.rejected.delete(portalId);
    const changed = await this.opts.store.markUninstalled(portalId, reason, this.now());
    if (!changed) return false;
    this.stats.uninstalls++;
    this.logger.warn({ portalId, reason }, 'portal uninstalled: its work stops');
    for (const l of this.listeners) {
      try {
        await l(portalId, reason);
      } catch (err) {
        this.logger.error({ portalId, err: (err as Error).message }, 'an uninstall listener failed');
      }
    }
    return true;
  }

  async isInstalled(portalId: string): Promise<boolean> {
    return (await this.opts.store.get(portalId))?.status === 'installed';
  }

  async list(): Promise<InstallationView[]> {
    return (await this.opts.store.list()).map(view);
  }

  /** The token source of one portal for a gateway. */
  sourceFor(portalId: string): AccessTokenSource {
    return {
      token: () => this.accessToken(portalId),
      renewAfterUnauthorized: (rejected) => this.renewAfterUnauthorized(portalId, rejected),
    };
  }

  /**
   * The token source of a single-portal deployment: the configured portal, or the only one installed, chosen at
   * the first call (so the service can start, and serve its install link, before any portal has installed it).
   */
  servedSource(configured: string | undefined): AccessTokenSource {
    let portal: string | undefined = configured;
    const resolve = async () => (portal ??= await this.servedPortal(undefined));
    return {
      token: async () => this.accessToken(await resolve()),
      renewAfterUnauthorized: async (rejected) => this.renewAfterUnauthorized(await resolve(), rejected),
    };
  }

  /** The portal a single-portal deployment serves: the configured one, or the only installed one. */
  async servedPortal(configured: string | undefined): Promise<string> {
    if (configured !== undefined) return configured;
    const installed = (await this.opts.store.list()).filter((i) => i.status === 'installed');
    if (installed.length === 1) return installed[0]!.portalId;
    throw new PortalNotInstalledError(
      undefined,
      installed.length === 0
        ? 'no HubSpot portal has installed the app yet: open /oauth/install to install it'
        : `${installed.length} portals have installed the app; set HUBSPOT_PORTAL_ID to the one this deployment serves`,
    );
  }

  private async installed(portalId: string): Promise<Installation> {
    const inst = await this.opts.store.get(portalId);
    if (!inst) throw new PortalNotInstalledError(portalId, `HubSpot portal ${portalId} has not installed the app: open /oauth/install to install it`);
    if (inst.status !== 'installed') throw new PortalUninstalledError(portalId, inst.uninstallReason);
    return inst;
  }

  private remember(inst: Installation): string {
    const token = this.opts.cipher.open(inst.accessTokenSealed, inst.portalId);
    this.cache.set(inst.portalId, { token, expiresAt: inst.expiresAt });
    return token;
  }

  private refresh(portalId: string): Promise<string> {
    let p = this.inflight.get(portalId);
    if (!p) {
      p = this.doRefresh(portalId).finally(() => this.inflight.delete(portalId));
      this.inflight.set(portalId, p);
    }
    return p;
  }

  private async doRefresh(portalId: string): Promise<string> {
    const inst = await this.installed(portalId);
    const { cipher } = this.opts;
    let grant;
    try {
      grant = await this.opts.api.refresh(cipher.open(inst.refreshTokenSealed, portalId));
    } catch (err) {
      this.stats.refreshFailures++;
      if (err instanceof OAuthGrantRejectedError) {
        await this.uninstall(portalId, `token refresh refused: ${err.hubspotStatus}`);
        throw new PortalUninstalledError(portalId, `token refresh refused: ${err.hubspotStatus}`);
      }
      // The token endpoint is down or slow: the call fails as HubSpot being unavailable, and is retried as such.
      throw new HubSpotTransientError(`could not refresh the access token of portal ${portalId}: ${(err as Error).message}`, { operation: 'oauth.refresh', cause: err });
    }
    const at = this.now();
    const expiresAt = at + grant.expiresInSec * 1000;
    const ok = await this.opts.store.updateTokens(portalId, {
      accessTokenSealed: cipher.seal(grant.accessToken, portalId),
      refreshTokenSealed: cipher.seal(grant.refreshToken, portalId),
      expiresAt,
      updatedAt: at,
    });
    if (!ok) throw new PortalUninstalledError(portalId, 'uninstalled during a token refresh');
    this.cache.set(portalId, { token: grant.accessToken, expiresAt });
    this.rejected.delete(portalId);
    this.stats.refreshes++;
    this.logger.info({ portalId, expiresAt: new Date(expiresAt).toISOString() }, 'access token refreshed');
    return grant.accessToken;
  }
}

function view(i: Installation): InstallationView {
  return {
    portalId: i.portalId,
    status: i.status,
    scopes: i.scopes,
    accessTokenExpiresAt: i.status === 'installed' ? new Date(i.expiresAt).toISOString() : null,
    installedAt: new Date(i.installedAt).toISOString(),
    uninstalledAt: i.uninstalledAt === null ? null : new Date(i.uninstalledAt).toISOString(),
    uninstallReason: i.uninstallReason,
  };
}
