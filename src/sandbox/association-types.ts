import type { ObjectType } from './object-types.ts';

/**
 * HUBSPOT_DEFINED association type ids per direction, as HubSpot documents them (the unlabeled/default type
 * for record pairs; engagements have one type per direction).
 */
const PAIRS: Array<[ObjectType, ObjectType, number, number]> = [
  ['contacts', 'companies', 279, 280],
  ['deals', 'contacts', 3, 4],
  ['deals', 'companies', 341, 342],
  ['tickets', 'contacts', 16, 15],
  ['tickets', 'companies', 339, 340],
  ['deals', 'tickets', 27, 28],
  ['notes', 'contacts', 202, 201],
  ['notes', 'companies', 190, 189],
  ['notes', 'deals', 214, 213],
  ['notes', 'tickets', 228, 227],
  ['calls', 'contacts', 194, 193],
  ['calls', 'companies', 182, 181],
  ['calls', 'deals', 206, 205],
  ['calls', 'tickets', 220, 219],
  ['emails', 'contacts', 198, 197],
  ['emails', 'companies', 186, 185],
  ['emails', 'deals', 210, 209],
  ['emails', 'tickets', 224, 223],
  ['meetings', 'contacts', 200, 199],
  ['meetings', 'companies', 188, 187],
  ['meetings', 'deals', 212, 211],
  ['meetings', 'tickets', 226, 225],
  ['tasks', 'contacts', 204, 203],
  ['tasks', 'companies', 192, 191],
  ['tasks', 'deals', 216, 215],
  ['tasks', 'tickets', 230, 229],
];

/** Primary company of a contact/deal/ticket: HubSpot reports it with a second, labelled type. */
export const PRIMARY_COMPANY_TYPE: Partial<Record<ObjectType, number>> = { contacts: 1, deals: 5, tickets: 26 };

const TABLE = new Map<string, number>();
for (const [a, b, ab, ba] of PAIRS) {
  TABLE.set(`${a}>${b}`, ab);
  TABLE.set(`${b}>${a}`, ba);
}

/** The default type id from one type to another, or undefined when HubSpot has no such pair. */
export function associationTypeId(from: ObjectType, to: ObjectType): number | undefined {
  return TABLE.get(`${from}>${to}`);
}

/** Whether `typeId` is a valid HUBSPOT_DEFINED type from `from` to `to` (default or primary). */
export function isValidAssociationType(from: ObjectType, to: ObjectType, typeId: number): boolean {
  return associationTypeId(from, to) === typeId || (to === 'companies' && PRIMARY_COMPANY_TYPE[from] === typeId);
}

/** Webhook `associationType` label, e.g. CONTACT_TO_COMPANY. */
export function associationLabel(from: string, to: string): string {
  return `${from}_TO_${to}`.toUpperCase();
}
