import { DEV_BANK } from './dev.ts';
import { TEST_BANK } from './test.ts';
import type { PhraseBank, TextStyle } from './types.ts';

export * from './types.ts';

export function phraseBank(style: TextStyle): PhraseBank {
  return style === 'test' ? TEST_BANK : DEV_BANK;
}
