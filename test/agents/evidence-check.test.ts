import { describe, expect, it } from 'vitest';
import { EvidenceCheck } from '../../src/agents/evidence-check.ts';

/** Text proposals' confidence: the share of their statements that the chunks they cite actually back. */
describe('EvidenceCheck', () => {
  const check = new EvidenceCheck([
    { id: 'a', text: 'Omar: Our budget of 120k was approved by the CFO last week.' },
    { id: 'b', text: 'Priya: We are also evaluating Zendrix in parallel.' },
  ]);

  it('a statement copied or closely paraphrased from its cited chunk is supported; one its chunk does not hold is not', () => {
    expect(check.supported({ text: 'Our budget of 120k was approved by the CFO', evidence: ['a'] })).toBe(true);
    expect(check.supported({ text: 'From the account history: budget 120k approved by the CFO', evidence: ['a'] })).toBe(true);
    expect(check.supported({ text: 'Competing evaluation: Zendrix', evidence: ['b'] })).toBe(true);
    // Right chunk, wrong claim; right claim, wrong chunk; a chunk the prompt never showed; no citation.
    expect(check.supported({ text: 'The customer signed a three-year contract', evidence: ['a'] })).toBe(false);
    expect(check.supported({ text: 'Our budget of 120k was approved by the CFO', evidence: ['b'] })).toBe(false);
    expect(check.supported({ text: 'Our budget of 120k was approved by the CFO', evidence: ['zz'] })).toBe(false);
    expect(check.supported({ text: 'Our budget of 120k was approved by the CFO', evidence: [] })).toBe(false);
  });

  it('confidence is the supported share, 0 when nothing is stated, and only supporting chunks are kept as evidence', () => {
    const statements = [
      { text: 'Budget of 120k approved by the CFO', evidence: ['a'] },
      { text: 'Evaluating Zendrix in parallel', evidence: ['b'] },
      { text: 'Legal signed off on the DPA', evidence: ['b'] },
    ];
    expect(check.confidence(statements)).toBe(0.67);
    expect(check.confidence([])).toBe(0);
    expect(check.supportingEvidence(statements)).toEqual(['a', 'b']);
    expect(check.supportingEvidence([statements[2]!])).toEqual([]);
  });
});
