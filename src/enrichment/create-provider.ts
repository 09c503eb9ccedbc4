import { HttpEnrichmentProvider } from './http-provider.ts';
import type { EnrichmentProvider } from './provider.ts';

/**
 * Picks the enrichment provider from config: a vendor API (`ENRICHMENT_URL` + `ENRICHMENT_API_KEY`), the sandbox
 * portal's provider (`ENRICHMENT_URL=sandbox`, keyed with the sandbox token), or none (enrichment then uses the
 * account's own history only).
 */
export interface EnrichmentSettings {
  url?: string | undefined;
  apiKey?: string | undefined;
  timeoutMs?: number | undefined;
  /** For `sandbox`: the sandbox portal's base URL and token. */
  hubspotBaseUrl?: string | undefined;
  hubspotToken?: string | undefined;
}

export function createEnrichmentProvider(s: EnrichmentSettings): EnrichmentProvider | null {
  if (!s.url) return null;
  if (s.url === 'sandbox') return sandboxEnrichmentProvider(s.hubspotBaseUrl ?? '', s.hubspotToken ?? '', s.timeoutMs);
  return new HttpEnrichmentProvider({ url: s.url, apiKey: s.apiKey ?? '', ...(s.timeoutMs ? { timeoutMs: s.timeoutMs } : {}) });
}

/** The sandbox portal's provider: the HTTP protocol, served under `/_sandbox/enrichment` from its ground truth. */
export function sandboxEnrichmentProvider(sandboxUrl: string, token: string, timeoutMs?: number): EnrichmentProvider {
  return new HttpEnrichmentProvider({ url: `${sandboxUrl.replace(/\/+$/, '')}/_sandbox/enrichment`, apiKey: token, name: 'sandbox', ...(timeoutMs ? { timeoutMs } : {}) });
}
