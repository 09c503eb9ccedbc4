import type { PhraseBank } from './types.ts';

/**
 * The `test` text style: how buyers and reps actually talk, written apart from the generator's `dev` phrasing and
 * never used to tune cue lists, prompts or extraction logic (reported only). Different actions, objects, vendors
 * and sentence shapes: commitments offered casually or over two turns, actions owned by the buyer or by a
 * colleague, retracted or negated promises, things already done, conditionals, and calls in other languages.
 */

export const TEST_BANK: PhraseBank = {
  style: 'test',
  openings: [
    'Hey, appreciate you jumping on. I mostly wanted to pick up where we left off on {topic}.',
    'Okay, I think everyone is here. So today is really about {topic} and what a realistic path looks like.',
    'Morning all. Quick agenda: where you landed on {topic}, open questions, and who does what after this.',
  ],
  acknowledgements: [
    'Yeah, I hear you, that comes up a lot.',
    'Totally fair, and I would rather we talk about it now than in month three.',
    'Okay. Not going to pretend that is nothing.',
  ],
  goals: [
    'What we really need is for {topic} to work without my people babysitting it.',
    'Bottom line for us: if {topic} saves the team a few hours a week, it pays for itself.',
  ],
  actions: [
    {
      gist: 'send the revised quote',
      terms: ['quote'],
      surfaces: [
        { owner: 'rep', kind: 'let-me', lines: (c) => [{ who: 'rep', text: `Let me get you a revised quote ${c.due || 'in the next day or so'}.` }] },
        { owner: 'rep', kind: 'two-turn', lines: () => [{ who: 'buyer', text: 'Could you rework the quote with the smaller seat count?' }, { who: 'rep', text: 'Yep, can do.' }] },
        { owner: 'rep', kind: 'gonna', lines: (c) => [{ who: 'rep', text: `I'm gonna redo the quote with annual billing and get it over to you ${c.due || 'shortly'}.` }] },
      ],
    },
    {
      gist: 'bring in a solutions engineer for the SSO questions',
      terms: ['solutions', 'sso'],
      surfaces: [
        { owner: 'colleague', kind: 'named-owner', lines: (c) => [{ who: 'rep', text: `${c.colleague} from our solutions team will join next time to go through the SSO questions.` }] },
        { owner: 'rep', kind: 'happy-to', lines: () => [{ who: 'rep', text: 'Happy to pull in one of our solutions engineers for the SSO piece.' }] },
      ],
    },
    {
      gist: 'put together a rollout timeline',
      terms: ['rollout', 'timeline'],
      surfaces: [
        { owner: 'rep', kind: 'first-person', lines: (c) => [{ who: 'rep', text: `I'll put together a rollout timeline ${c.due || 'so you can see the phases'}.` }] },
        { owner: 'rep', kind: 'make-sure', lines: () => [{ who: 'rep', text: 'I will make sure you have a rough rollout timeline before your steering meeting.' }] },
      ],
    },
    {
      gist: 'return the redlined MSA',
      terms: ['msa'],
      surfaces: [
        { owner: 'buyer', kind: 'buyer-owned', lines: (c) => [{ who: 'buyer', text: `Our legal team will send the redlined MSA back ${c.due || 'once they are through it'}.` }] },
        { owner: 'buyer', kind: 'buyer-first-person', lines: (c) => [{ who: 'buyer', text: `I'll chase legal and get the MSA redlines to you ${c.due || 'soon'}.` }] },
      ],
    },
    {
      gist: 'book a working session with the data team',
      terms: ['working', 'session'],
      surfaces: [
        { owner: 'rep', kind: 'lets', lines: () => [{ who: 'rep', text: "Let's get a working session on the calendar with your data team." }] },
        { owner: 'rep', kind: 'two-turn', lines: () => [{ who: 'buyer', text: 'Can we do a working session with my data folks?' }, { who: 'rep', text: 'Absolutely, I will send a few slots.' }] },
      ],
    },
    {
      gist: 'ask finance about moving the purchase order to next quarter',
      terms: ['finance', 'purchase order'],
      surfaces: [
        { owner: 'buyer', kind: 'buyer-first-person', lines: () => [{ who: 'buyer', text: 'I need to ask finance whether the purchase order can move to next quarter, I will let you know.' }] },
        { owner: 'buyer', kind: 'buyer-owned', lines: () => [{ who: 'buyer', text: 'Let me check with finance on pushing the purchase order out a quarter.' }] },
      ],
    },
    {
      gist: 'share the API documentation and rate limits',
      terms: ['api', 'doc'],
      surfaces: [
        { owner: 'rep', kind: 'first-person', lines: (c) => [{ who: 'rep', text: `I'll shoot over the API docs, rate limits included, ${c.due || 'after this call'}.` }] },
        { owner: 'rep', kind: 'two-turn', lines: () => [{ who: 'buyer', text: 'Would you mind sending the API docs so our engineers can poke at them?' }, { who: 'rep', text: 'Sure thing, consider it done.' }] },
      ],
    },
    {
      gist: 'confirm the headcount for the licenses',
      terms: ['headcount'],
      surfaces: [
        { owner: 'buyer', kind: 'buyer-first-person', lines: (c) => [{ who: 'buyer', text: `I can confirm the final headcount ${c.due || 'once HR sends it to me'}.` }] },
        { owner: 'buyer', kind: 'buyer-owned', lines: () => [{ who: 'buyer', text: 'We still owe you the headcount for the licenses, I will get that sorted.' }] },
      ],
    },
    {
      gist: 'set up a call between the CISO and the security lead',
      terms: ['ciso'],
      surfaces: [
        { owner: 'rep', kind: 'first-person', lines: () => [{ who: 'rep', text: 'I will set up a call between our CISO and your security lead.' }] },
        { owner: 'colleague', kind: 'named-owner', lines: (c) => [{ who: 'rep', text: `${c.colleague} is going to reach out to arrange a call with our CISO.` }] },
      ],
    },
    {
      gist: 'write a one-pager for the steering committee',
      terms: ['one', 'pager'],
      surfaces: [
        { owner: 'rep', kind: 'we-will', lines: (c) => [{ who: 'rep', text: `We will write up a one pager for your steering committee ${c.due || 'this week'}.` }] },
        { owner: 'buyer', kind: 'two-turn-buyer', lines: () => [{ who: 'rep', text: 'Would it help if you had a one pager for the steering committee?' }, { who: 'buyer', text: 'Yes. Actually, I will write the one pager myself, I know what they care about.' }] },
      ],
    },
    {
      gist: 'pull usage numbers from the trial',
      terms: ['usage'],
      surfaces: [
        { owner: 'rep', kind: 'first-person', lines: (c) => [{ who: 'rep', text: `I'm going to pull the usage numbers from your trial ${c.due || 'and send a summary'}.` }] },
        { owner: 'rep', kind: 'let-me', lines: () => [{ who: 'rep', text: 'Let me dig up the usage stats from the trial so we are arguing from data.' }] },
      ],
    },
    {
      gist: 'extend the sandbox by a month',
      terms: ['sandbox'],
      surfaces: [
        { owner: 'rep', kind: 'two-turn', lines: () => [{ who: 'buyer', text: 'Any chance you can keep our sandbox open another month?' }, { who: 'rep', text: "Yeah, I'll take care of that today." }] },
        { owner: 'rep', kind: 'first-person', lines: () => [{ who: 'rep', text: 'I will get your sandbox extended by a month.' }] },
      ],
    },
  ],
  distractors: [
    { gist: 'a pilot', terms: ['pilot'], kind: 'negated', lines: () => [{ who: 'buyer', text: "Honestly we don't need a pilot, we saw enough in the trial." }] },
    {
      gist: 'the case studies',
      terms: ['case', 'stud'],
      kind: 'cancelled',
      lines: () => [
        { who: 'rep', text: "I'll send you the case studies." },
        { who: 'buyer', text: 'No need, we already read them on your site.' },
        { who: 'rep', text: 'Got it, I will skip those then.' },
      ],
    },
    { gist: 'the signed NDA', terms: ['nda'], kind: 'past', lines: () => [{ who: 'rep', text: 'I sent over the signed NDA last Tuesday, so that part is done.' }] },
    { gist: 'the reference call', terms: ['reference'], kind: 'past', lines: () => [{ who: 'buyer', text: 'We already did the reference call with your customer in Ohio.' }] },
    {
      gist: 'a call with the general counsel',
      terms: ['counsel'],
      kind: 'hypothetical',
      lines: () => [{ who: 'rep', text: 'If legal pushes back on the indemnity, we could always get our general counsel on a call.' }],
    },
    {
      gist: 'an onsite workshop',
      terms: ['onsite'],
      kind: 'hypothetical',
      lines: () => [{ who: 'buyer', text: 'Maybe at some point it would make sense to do an onsite workshop, but not now.' }],
    },
    { gist: 'the price sheet', terms: ['price', 'sheet'], kind: 'negated', lines: () => [{ who: 'rep', text: 'I will not send the public price sheet, it does not reflect what we discussed.' }] },
    {
      gist: 'the security webinar invite',
      terms: ['webinar'],
      kind: 'cancelled',
      lines: () => [{ who: 'rep', text: 'I was going to forward the webinar invite, but scratch that, it is the same content.' }],
    },
  ],
  objections: [
    { gist: 'the price is more than they planned to spend', terms: ['spend'], surfaces: ['Honestly, the number you sent is way more than we planned to spend.', 'I have to be upfront, that is a lot more than we wanted to spend this year.'] },
    { gist: 'security wants a penetration test report first', terms: ['pen'], surfaces: ['Our security folks are going to want a pen test report before anything goes live.', 'Nothing gets past our security review without a recent pen test, so that could hold us up.'] },
    { gist: 'the team lacks bandwidth for another tool', terms: ['bandwidth'], surfaces: ["I'm not sure my team has the bandwidth to take on another tool right now.", 'My worry is bandwidth, everyone is already maxed out.'] },
    { gist: 'they do not sign three-year contracts', terms: ['three year'], surfaces: ["The three year term is a sticking point, we just don't do those.", 'A three year commitment is going to be a hard sell internally.'] },
    { gist: 'a past migration went badly', terms: ['migration'], surfaces: ['We got burned by a migration like this before and nobody wants to relive that.', 'The last migration we did dragged on for nine months, so people are nervous.'] },
    { gist: 'procurement will not move before the new fiscal year', terms: ['procurement'], surfaces: ["Procurement won't touch this until the new fiscal year starts.", 'The problem is procurement, they are frozen until the next fiscal year.'] },
    { gist: 'data must stay in Canada', terms: ['canada'], surfaces: ['Our data has to stay in Canada, that is non negotiable.', "If the data can't be hosted in Canada we can't go ahead."] },
    { gist: 'leadership is not convinced of the ROI', terms: ['roi'], surfaces: ["My boss isn't sold on the ROI yet.", 'The ROI case is still fuzzy for our leadership team.'] },
  ],
  competitorNames: ['Norvane', 'Quillmetric', 'Tessaly', 'OrbitDesk', 'Kaldera'],
  competitorMentions: [
    "We've been kicking the tires on {c} as well.",
    '{c} quoted us about half of what you did.',
    'A couple of people here really like the reporting in {c}.',
    '{c} is coming in to pitch next week, just so you know.',
  ],
  competitorReplies: ['Good to know, thanks for being straight with me.', 'Sure, happy to walk through how we compare whenever you want.'],
  closings: [
    [
      { who: 'rep', text: 'Alright, I think that covers it. Thanks for the time.' },
      { who: 'buyer', text: 'Thanks, talk soon.' },
    ],
    [
      { who: 'buyer', text: 'I have to jump to another meeting, but this was useful.' },
      { who: 'rep', text: 'Of course, have a good one.' },
    ],
  ],
  buriedFacts: [
    {
      kind: 'requirement',
      text: (v) => `Before I forget, anything we buy has to work with ${v}, otherwise our architecture board will block it.`,
      fact: (v) => `Hard requirement: must work with ${v}.`,
      values: ['Azure AD conditional access', 'a private cloud in Frankfurt', 'our Snowflake warehouse', 'hardware security modules', 'an air-gapped network'],
    },
    {
      kind: 'budget',
      text: (v) => `Money-wise we were given roughly ${v} for this, and that number is fixed for the year.`,
      fact: (v) => `Budget for the project: ${v}.`,
      values: ['$64,000', '$140,000', '$88,500', '$310,000', '$27,000'],
    },
    {
      kind: 'competitor',
      text: (v) => `Side note: ${v} reached out to us too and we agreed to hear their pitch.`,
      fact: (v) => `Also considering ${v}.`,
      values: ['Norvane', 'Quillmetric', 'Tessaly', 'OrbitDesk', 'Kaldera'],
    },
    {
      kind: 'deadline',
      text: (v) => `Whatever we pick needs to be live by ${v}, that date came straight from the CEO.`,
      fact: (v) => `Must be live by ${v}.`,
      values: ['April 15', 'the start of Q3', 'October 1', 'mid-December', 'our spring conference'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `Heads up that ${v} has the last word on anything we sign.`,
      fact: (v) => `${v} has the final say on contracts.`,
      values: ['our VP Finance Mr. Osei', 'the managing director Ms. Halvorsen', 'our head of legal Dr. Brandt', 'the procurement lead Mr. Ferreira'],
    },
  ],
  revisions: [
    {
      kind: 'budget',
      before: (v) => `Initial budget guidance from finance is ${v}.`,
      after: (v, old) => `Quick update: finance cut us from ${old} to ${v}, so please plan around the lower number.`,
      fact: (v) => `Current budget: ${v}.`,
      values: ['$52,000', '$96,000', '$180,000', '$41,000'],
    },
    {
      kind: 'stakeholder',
      before: (v) => `${v} will be the one approving this purchase.`,
      after: (v, old) => `Change on our side: ${old} moved to another role, ${v} approves purchases now.`,
      fact: (v) => `${v} approves the purchase.`,
      values: ['Ms. Achterberg', 'Mr. Nakamura', 'Ms. Delacroix', 'Mr. Abiodun'],
    },
  ],
  answers: [
    {
      question: (p, n) => `One thing I keep getting asked internally: is ${n} something the ${p} handles natively, or is that custom work?`,
      answer: (p, n) => `From the technical deep dive: the ${p} covers ${n} natively through the standard connector, no custom work needed.`,
    },
    {
      question: (p, n) => `Can you remind me how ${n} works with the ${p}? I need to explain it to my director tomorrow.`,
      answer: (p, n) => `Their architect asked about ${n}; we showed that the ${p} handles it with a built-in template and scheduled exports.`,
    },
  ],
  needThemes: {
    compliance: [
      'Auditors keep asking for evidence of who changed what in {term}, and we scramble every time.',
      'Our controls around {term} have to hold up in the next certification.',
      'The compliance team wants a clean audit log for the {product}.',
      'Every exception in {term} needs a documented approval for the regulators.',
    ],
    scale: [
      'Volume doubled since spring and {term} is creaking under the load.',
      'Peak season throughput is the real test for the {product}.',
      'We are hiring fast and the current setup for {term} will not scale past next year.',
      'Capacity planning for {term} is where we keep getting surprised.',
    ],
    cost: [
      'We have to consolidate tools, the spend on {term} is out of control.',
      'Finance wants us to cut licenses wherever there is overlap with the {product}.',
      'Any savings on {term} would go straight to the bottom line this year.',
      'We are paying for three tools that all touch {term}.',
    ],
    integration: [
      'The same customer shows up four times because {term} does not sync with anything.',
      'We need one source of truth; right now {term} lives in silos.',
      'Getting the {product} to talk to our warehouse is the whole point for us.',
      'Duplicate records between systems break every report on {term}.',
    ],
    adoption: [
      'New hires take weeks to get comfortable with {term}.',
      'Half the team still avoids the {product} because nobody trained them properly.',
      'If it is not intuitive, people will go back to spreadsheets for {term}.',
      'We need in-app guidance so onboarding on {term} does not depend on one person.',
    ],
    expansion: [
      'We open offices in two new countries next year and {term} has to follow.',
      'Local currencies and languages are a must for the regional teams using the {product}.',
      'Our LATAM team runs {term} completely differently from headquarters.',
      'Going international means {term} has to work across time zones.',
    ],
  },
  budgetConfirmed: [
    'Good news from our side: the CFO signed off on the spend, so money is not the blocker anymore.',
    'Finance just released the funds for this, we are cleared to buy.',
  ],
  foreign: [
    {
      lang: 'de',
      opening: 'Danke, dass Sie sich die Zeit nehmen. Heute geht es vor allem um die nächsten Schritte.',
      commitments: [
        { gist: 'Schulungsplan schicken', terms: ['schulungsplan'], owner: 'rep', line: 'Ich schicke Ihnen bis Donnerstag den Schulungsplan.' },
        { gist: 'Betriebsrat einbinden', terms: ['betriebsrat'], owner: 'buyer', line: 'Wir kümmern uns darum, den Betriebsrat frühzeitig einzubinden.' },
      ],
      objections: [{ gist: 'Laufzeit zu lang', terms: ['laufzeit'], line: 'Die Laufzeit von drei Jahren ist für uns ehrlich gesagt schwierig.' }],
      closing: 'Vielen Dank, bis bald.',
    },
    {
      lang: 'es',
      opening: 'Gracias por el tiempo. Hoy quería repasar los próximos pasos con ustedes.',
      commitments: [
        { gist: 'enviar la propuesta revisada', terms: ['propuesta'], owner: 'rep', line: 'Le mando la propuesta revisada antes del viernes.' },
        { gist: 'confirmar con compras', terms: ['compras'], owner: 'buyer', line: 'Yo me encargo de confirmar con compras esta semana.' },
      ],
      objections: [{ gist: 'la migración preocupa', terms: ['migración'], line: 'Nos preocupa bastante la migración de los datos históricos.' }],
      closing: 'Perfecto, hablamos pronto.',
    },
    {
      lang: 'fr',
      opening: 'Merci pour votre temps. Je voulais surtout caler la suite avec vous.',
      commitments: [
        { gist: 'envoyer le planning de déploiement', terms: ['planning'], owner: 'rep', line: 'Je vous envoie le planning de déploiement d’ici lundi.' },
        { gist: 'valider avec la DSI', terms: ['dsi'], owner: 'buyer', line: 'De notre côté, on valide le sujet avec la DSI la semaine prochaine.' },
      ],
      objections: [{ gist: 'hébergement hors UE', terms: ['hébergement'], line: 'L’hébergement en dehors de l’UE pose un vrai problème pour nous.' }],
      closing: 'Merci à tous, à bientôt.',
    },
  ],
  sttNoise: 0.35,
  foreignShare: 0.08,
  fillers: ['um', 'uh', 'you know', 'like', 'I mean', 'so yeah'],
  dueDates: ['by Thursday', 'before the end of the month', 'early next week', 'by the 15th', 'tomorrow morning', ''],
};
