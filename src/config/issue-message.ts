import type { z } from 'zod';

/**
 * zod's own messages ("Invalid input: expected number, received NaN", "Too small: expected number to be >=1") speak
 * of types, not of settings: a person fixing an environment variable needs the rule and the value they gave.
 * Messages a setting defines itself (custom refinements, `{ error }`) are kept as written. `raw` is quoted back,
 * so pass undefined for a secret.
 */
export function plainIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const given = typeof raw === 'string' ? ` (got "${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}")` : '';
  if (!/^(Invalid input|Invalid option|Too small|Too big)\b/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return `must be a whole number${given}`;
      if (issue.expected === 'number') return `must be a number${given}`;
      return `must be ${issue.expected === 'string' ? 'text' : `a ${issue.expected}`}${given}`;
    case 'invalid_value': {
      const values = issue.values.map(String).join(', ');
      // A list setting (e.g. v1,v2,v3): the rule is for each of its entries.
      return `${issue.path.length > 1 ? 'each entry must' : 'must'} be one of ${values}${given}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must list at least ${issue.minimum}`;
      return `must be ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}${given}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}${given}`;
    default:
      return issue.message;
  }
}
