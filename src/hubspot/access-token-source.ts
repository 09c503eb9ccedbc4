/**
 * Where a gateway gets its access token when it is not a fixed private-app token: an OAuth installation whose
 * short-lived access token is refreshed (src/oauth). The gateway asks before every attempt, and once after a 401.
 */
export interface AccessTokenSource {
  /** A token good for the next call (refreshed first when it is about to expire). */
  token(): Promise<string>;
  /**
   * HubSpot answered 401 to `rejected`: a newer token. Concurrent callers share one refresh, and a token that
   * another process refreshed meanwhile is used as it is. Throws when the portal no longer has the app.
   */
  renewAfterUnauthorized(rejected: string): Promise<string>;
}
