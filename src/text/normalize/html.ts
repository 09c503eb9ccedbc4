import { compile, type HtmlToTextOptions } from 'html-to-text';
import { collapseWhitespace } from './whitespace.ts';

/**
 * HTML → plain text with html-to-text. Images (tracking pixels, logos) carry nothing worth embedding; links keep
 * their text but not their URLs, which are long, token-hungry and rarely what anyone searches for. Blockquotes
 * keep html-to-text's `> ` prefix so the e-mail de-quoter can recognise quoted replies.
 */
const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  preserveNewlines: false,
  selectors: [
    { selector: 'img', format: 'skip' },
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'style', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'head', format: 'skip' },
  ],
};

/** Compiled once: `convert` would rebuild the selector machinery on every call (~10× slower in a backfill). */
let converter: ((html: string) => string) | undefined;

export function htmlToText(html: string): string {
  if (html.trim() === '') return '';
  converter ??= compile(OPTIONS);
  return collapseWhitespace(converter(html));
}

/** HubSpot rich-text fields (notes, call bodies, ticket content) may hold HTML or plain text. */
export function looksLikeHtml(text: string): boolean {
  return /<\/?(?:p|div|br|span|b|i|u|strong|em|ul|ol|li|table|tr|td|a|h[1-6]|blockquote|html|body)\b[^>]*>/i.test(text);
}

/** Plain text for a rich-text field, whatever it holds. */
export function richTextToPlain(value: string | null | undefined): string {
  if (!value) return '';
  return looksLikeHtml(value) ? htmlToText(value) : collapseWhitespace(decodeBasicEntities(value));
}

function decodeBasicEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(nbsp|amp|lt|gt|quot|#39);/g, (_, e: string) => ({ nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? _);
}
