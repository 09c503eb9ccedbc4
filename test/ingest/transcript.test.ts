import { describe, expect, it } from 'vitest';
import { parseTranscript } from '../../src/text/normalize/transcript.ts';

describe('parseTranscript', () => {
  it('parses timestamped turns with affiliations and continuation lines', () => {
    const parsed = parseTranscript('Discovery call\n[00:00:05] Jane Doe (Acme): Hi Bob.\n[00:00:09] Bob Li: Hello!\nShall we start?\n[00:01:00] Jane Doe (Acme): Budget is 50k.');
    expect(parsed).toEqual({
      preamble: 'Discovery call',
      turns: [
        { speaker: 'Jane Doe', affiliation: 'Acme', at: '00:00:05', text: 'Hi Bob.' },
        { speaker: 'Bob Li', at: '00:00:09', text: 'Hello!\nShall we start?' },
        { speaker: 'Jane Doe', affiliation: 'Acme', at: '00:01:00', text: 'Budget is 50k.' },
      ],
    });
  });

  it('parses "Speaker: text" dialogues without timestamps, in any script', () => {
    const parsed = parseTranscript('Jane: Hi\nBob Li: Hello\nJane: Ready?\n田中: はい、始めましょう。');
    expect(parsed?.turns.map((t) => t.speaker)).toEqual(['Jane', 'Bob Li', 'Jane', '田中']);
  });

  it('does not mistake notes with "Label: value" lines for a transcript', () => {
    expect(parseTranscript('Agenda: pricing\nNext steps: send the quote\nOwner: Bob\nwe agreed: fine')).toBeNull();
    expect(parseTranscript('Met with Jane today. She said: budget is tight.')).toBeNull();
  });
});
