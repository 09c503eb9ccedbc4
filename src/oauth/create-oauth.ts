import type { OAuthSettings } from '../config/config.ts';
import type { SqlHandle } from '../db/sql.ts';
import type { Logger } from '../logging.ts';
import { createHubSpotOAuthApi, type HubSpotOAuthApi } from './hubspot-oauth-client.ts';
import { createSqlInstallationStore } from './installation-store.ts';
import { PortalTokens } from './portal-tokens.ts';
import type { OAuthRoutesOptions } from './routes.ts';
import { TokenCipher } from './token-cipher.ts';

/** OAuth mode's parts, built by the composition root from config (only with HUBSPOT_AUTH=oauth). */
export interface OAuthRuntime {
  tokens: PortalTokens;
  cipher: TokenCipher;
  routeOptions(logger: Logger): OAuthRoutesOptions;
}

export async function createOAuthRuntime(
  settings: OAuthSettings,
  deps: { sql: SqlHandle; baseUrl: string; isSandbox: boolean; appId?: string; logger: Logger; api?: HubSpotOAuthApi; now?: () => number },
): Promise<OAuthRuntime> {
  const cipher = new TokenCipher(settings.encryptionKey);
  const api = deps.api ?? createHubSpotOAuthApi(deps.baseUrl, { clientId: settings.clientId, clientSecret: settings.clientSecret, redirectUri: settings.redirectUri });
  const tokens = new PortalTokens({
    store: await createSqlInstallationStore(deps.sql),
    cipher,
    api,
    logger: deps.logger,
    ...(deps.appId !== undefined ? { appId: deps.appId } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  return {
    tokens,
    cipher,
    routeOptions: (logger) => ({
      tokens,
      cipher,
      clientId: settings.clientId,
      authorizeUrl: settings.authorizeUrl,
      redirectUri: settings.redirectUri,
      scopes: settings.scopes,
      optionalScopes: settings.optionalScopes,
      forwardPortalChoice: deps.isSandbox,
      logger,
    }),
  };
}
