import { createHash } from 'node:crypto';
import { contentTerms } from './text-terms.ts';

/**
 * FTS5 query construction for the embedded store. User text never reaches the FTS5 parser as syntax: it is
 * reduced to content terms, each quoted, OR-ed (BM25 ranks documents matching more and rarer terms higher).
 */

/** Opaque scope tokens: one per portal and one per (portal, account). Letters and digits only, so unicode61 keeps them whole. */
export function portalScopeToken(portalId: string): string {
  return `zp${digest(portalId)}`;
}

export function accountScopeToken(portalId: string, accountId: string): string {
  return `za${digest(`${portalId}\u0000${accountId}`)}`;
}

export function scopeText(portalId: string, accountId: string): string {
  return `${portalScopeToken(portalId)} ${accountScopeToken(portalId, accountId)}`;
}

const MAX_QUERY_TERMS = 32;

/** The distinct terms of a keyword query that the match expression searches for. */
export function ftsQueryTerms(query: string, maxTerms = MAX_QUERY_TERMS): string[] {
  return [...new Set(contentTerms(query))].slice(0, maxTerms);
}

/** Returns null when the query has no searchable term (e.g. only stopwords). */
export function ftsMatchExpression(scopeToken: string, query: string, maxTerms = MAX_QUERY_TERMS): string | null {
  const terms = ftsQueryTerms(query, maxTerms);
  if (terms.length === 0) return null;
  return `scope : "${scopeToken}" AND text : (${terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' OR ')})`;
}

/** FTS5's bm25() is negative, lower is better; map it to (0, 1), higher is better, stable across queries. */
export function normalizeBm25(raw: number): number {
  const s = Math.max(0, -raw);
  return s / (1 + s);
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 20);
}
