/**
 * Optional redaction of personal data in stored prompts and responses (`redactPrompts`). Prompts carry whole
 * e-mails and transcripts; the audit log keeps them for years, so e-mail addresses and phone numbers can be
 * masked before they are stored. Record ids and chunk ids stay, so an entry can still be traced to its source.
 */

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// Candidates: digit runs with spaces, dots, dashes or brackets, optionally after a +. Kept as a phone only with
// 7–15 digits and a separator or a leading + (so record ids, amounts and ISO dates stay readable).
const PHONE = /(?<![\w.@])[+(]?\d[\d\s().-]{5,}\d(?![\w@])/g;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function redactPersonalData(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(PHONE, (m) => {
      const digits = m.replace(/\D/g, '').length;
      const separated = m.startsWith('+') || /[\s().-]/.test(m);
      return digits >= 7 && digits <= 15 && separated && !ISO_DATE.test(m.trim()) ? '[phone]' : m;
    });
}
