import type { Proposal } from '../core/proposal.ts';
import { PRODUCT_MARKER_PREFIX } from '../core/product-output.ts';

/**
 * How AI notes and tasks look in HubSpot. The header is visible so that nobody mistakes the text for a person's;
 * the marker `[hsai:<proposalId>]` lets a retried job find a note it already created (idempotency across a crash
 * between HubSpot's create and our own bookkeeping) and lets undo and reports recognise AI engagements.
 */

export function marker(proposalId: string): string {
  return `${PRODUCT_MARKER_PREFIX}${proposalId}]`;
}

export function aiHeader(p: Pick<Proposal, 'agent' | 'promptVersion' | 'model'>): string {
  return `🤖 AI-generated (hubspot-ai · ${p.agent} · prompt ${p.promptVersion} · model ${p.model}) — review before relying on it`;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The agent's (or a reviewer's) text as HTML paragraphs, escaped: it may quote e-mails and must never inject markup. */
function paragraphsHtml(text: string): string {
  return text
    .trim()
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

/**
 * The note body as HTML (HubSpot renders note bodies as rich text). Paragraphs follow blank lines; single
 * newlines become <br>.
 */
export function noteBody(p: Pick<Proposal, 'id' | 'agent' | 'promptVersion' | 'model' | 'title'>, text: string): string {
  const title = p.title ? `<p><strong>${escapeHtml(p.title)}</strong></p>` : '';
  return `<p><strong>${escapeHtml(aiHeader(p))}</strong></p>${title}${paragraphsHtml(text)}<p style="color:#7c98b6;font-size:10px">${marker(p.id)}</p>`;
}

/**
 * Task bodies are rich text in HubSpot too (the task panel renders HTML), so they are escaped exactly like note
 * bodies: a draft quoting `<img onerror=…>` from an e-mail shows as text, never as markup.
 */
export function taskBody(p: Pick<Proposal, 'id' | 'agent' | 'promptVersion' | 'model'>, text: string): string {
  return `<p>${escapeHtml(aiHeader(p))}</p>${paragraphsHtml(text)}<p style="color:#7c98b6;font-size:10px">${marker(p.id)}</p>`;
}

export function hasMarker(body: string | null | undefined, proposalId: string): boolean {
  return typeof body === 'string' && body.includes(marker(proposalId));
}
