import type { PhraseBank } from './types.ts';

/**
 * The `dev` text style: the generator's original phrasing ("Next step: I will …", "one concern: …", "a demo from
 * …"), plus a development set of harder phrasings (offers, two-turn commitments, buyer-owned and colleague-owned
 * actions, negations, retractions, past actions, conditionals, speech-to-text noise, other languages). This is the
 * only style the offline extractor's cue lists and logic are tuned on. The `test` style (test.ts) is written
 * apart and only reported.
 */

const original = (gist: string, terms: string[]) => ({
  gist,
  terms,
  surfaces: [{ owner: 'rep' as const, kind: 'original', lines: () => [{ who: 'rep' as const, text: `Next step: I will ${gist}.` }] }],
});

export const DEV_BANK: PhraseBank = {
  style: 'dev',
  openings: ['Thanks for making the time today. The plan is to walk through {topic} and agree on what comes next.'],
  acknowledgements: ['That is fair. Let me explain how other customers handled that, and we can adapt the proposal.'],
  goals: ['Our main goal is to get {topic} in place without disrupting the team.'],
  actions: [
    original('send the SOC 2 report and the security questionnaire', ['soc', 'security questionnaire']),
    original('schedule a technical deep dive with the IT team', ['technical deep dive']),
    original('share a pricing proposal with volume tiers', ['pricing proposal']),
    original('set up a two-week pilot for one department', ['pilot']),
    original('introduce us to the CFO for budget approval', ['cfo']),
    original('send reference customers in the same industry', ['reference customers']),
    original('draft the order form for legal review', ['order form']),
    // The development set: the same kinds of commitment said the way people say them.
    {
      gist: 'send the implementation checklist',
      terms: ['implementation checklist'],
      surfaces: [
        { owner: 'rep', kind: 'let-me', lines: (c) => [{ who: 'rep', text: `Let me send you our implementation checklist ${c.due || 'after the call'}.` }] },
        { owner: 'rep', kind: 'two-turn', lines: () => [{ who: 'buyer', text: 'Could you send the implementation checklist?' }, { who: 'rep', text: 'Sure, will do.' }] },
      ],
    },
    {
      gist: 'prepare a data migration plan',
      terms: ['migration plan'],
      surfaces: [
        { owner: 'colleague', kind: 'named-owner', lines: (c) => [{ who: 'rep', text: `${c.colleague} will prepare a data migration plan ${c.due || 'for your review'}.` }] },
        { owner: 'rep', kind: 'happy-to', lines: () => [{ who: 'rep', text: 'Happy to prepare a migration plan for the historical data.' }] },
      ],
    },
    {
      gist: 'get internal sign-off on the budget',
      terms: ['sign-off'],
      surfaces: [
        { owner: 'buyer', kind: 'buyer-first-person', lines: (c) => [{ who: 'buyer', text: `I'm going to get internal sign-off on the budget ${c.due || 'this month'}.` }] },
        { owner: 'buyer', kind: 'buyer-owned', lines: () => [{ who: 'buyer', text: 'Our controller will handle the sign-off on our side.' }] },
      ],
    },
    {
      gist: 'organise a demo for the warehouse managers',
      terms: ['demo', 'warehouse'],
      surfaces: [
        { owner: 'rep', kind: 'lets', lines: () => [{ who: 'rep', text: "Let's organise a demo for your warehouse managers." }] },
        { owner: 'rep', kind: 'we-will', lines: (c) => [{ who: 'rep', text: `We'll run a demo for the warehouse managers ${c.due || 'next time'}.` }] },
      ],
    },
    {
      gist: 'send the list of integrations',
      terms: ['integrations'],
      surfaces: [
        { owner: 'buyer', kind: 'two-turn-buyer', lines: () => [{ who: 'rep', text: 'Can you send me the list of integrations you use today?' }, { who: 'buyer', text: 'Yes, I can do that.' }] },
        { owner: 'buyer', kind: 'buyer-first-person', lines: (c) => [{ who: 'buyer', text: `I will send you our list of integrations ${c.due || 'soon'}.` }] },
      ],
    },
  ],
  distractors: [
    { gist: 'a discount', terms: ['discount'], kind: 'negated', lines: () => [{ who: 'rep', text: 'We will not offer a further discount on this tier.' }] },
    {
      gist: 'the product roadmap',
      terms: ['roadmap'],
      kind: 'cancelled',
      lines: () => [
        { who: 'rep', text: 'I will share the product roadmap.' },
        { who: 'buyer', text: 'Actually, no need for the roadmap, we have seen it.' },
      ],
    },
    { gist: 'the trial account', terms: ['trial account'], kind: 'past', lines: () => [{ who: 'rep', text: 'I already created the trial account yesterday.' }] },
    { gist: 'a second demo', terms: ['second demo'], kind: 'hypothetical', lines: () => [{ who: 'buyer', text: 'If the board asks, we might schedule a second demo.' }] },
    { gist: 'the invoice', terms: ['invoice'], kind: 'negated', lines: () => [{ who: 'buyer', text: "We don't need to send the invoice details yet." }] },
  ],
  objections: [
    { gist: 'the price is above the budget we set', terms: ['price', 'budget'], surfaces: ['To be honest, one concern: the price is above the budget we set.'] },
    { gist: 'security needs to review the data residency terms', terms: ['data residency'], surfaces: ['To be honest, one concern: security needs to review the data residency terms.'] },
    { gist: 'we worry about the integration effort with our ERP', terms: ['integration effort'], surfaces: ['To be honest, one concern: we worry about the integration effort with our ERP.'] },
    { gist: 'there is a budget freeze until next quarter', terms: ['budget freeze'], surfaces: ['To be honest, one concern: there is a budget freeze until next quarter.'] },
    { gist: 'the team is already stretched with another rollout', terms: ['stretched'], surfaces: ['To be honest, one concern: the team is already stretched with another rollout.'] },
    { gist: 'legal wants changes to the liability clause', terms: ['liability'], surfaces: ['To be honest, one concern: legal wants changes to the liability clause.'] },
    { gist: 'the onboarding looks too long', terms: ['onboarding'], surfaces: ['I am worried the onboarding takes too long for our team.', 'Frankly the onboarding period is a problem for us.'] },
    { gist: 'support hours do not cover their time zone', terms: ['support hours'], surfaces: ['The support hours do not cover our time zone, which is an issue.'] },
  ],
  competitorNames: ['Zendrix', 'PipeForge', 'Salesloop', 'Clarivo', 'Brightfunnel'],
  competitorMentions: ['We also had a demo from {c} last week, and their pricing looked aggressive.', 'We are currently evaluating {c} too.', 'Our CFO likes the {c} dashboards.'],
  competitorReplies: ['Understood. Compared with {c}, the main differences are the integration depth and the support model.'],
  closings: [
    [
      { who: 'buyer', text: 'Sounds good, let us reconvene once that is done.' },
      { who: 'rep', text: 'Great, thanks everyone. Talk soon.' },
    ],
  ],
  buriedFacts: [
    {
      kind: 'requirement',
      text: (v) => `One hard requirement from our side: the vendor must support ${v}. Without that our security board will not sign.`,
      fact: (v) => `Hard requirement: the vendor must support ${v}.`,
      values: ['single sign-on with Okta', 'data residency in the EU', 'SCIM user provisioning', 'customer-managed encryption keys', 'an on-premise deployment'],
    },
    {
      kind: 'budget',
      text: (v) => `For planning purposes: the approved budget for this project is ${v} for the fiscal year, signed off by finance.`,
      fact: (v) => `Approved project budget: ${v} for the fiscal year.`,
      values: ['$48,000', '$120,000', '$75,500', '$260,000', '$32,000'],
    },
    {
      kind: 'competitor',
      text: (v) => `Full disclosure, we are also evaluating ${v} in parallel and will compare both offers side by side.`,
      fact: (v) => `Also evaluating the competitor ${v}.`,
      values: ['Zendrix', 'PipeForge', 'Salesloop', 'Clarivo', 'Brightfunnel'],
    },
    {
      kind: 'deadline',
      text: (v) => `Our go-live deadline is ${v}; the board expects the rollout to be finished by then.`,
      fact: (v) => `Go-live deadline: ${v}.`,
      values: ['March 31', 'the end of Q2', 'September 1', 'the first week of November', 'before the holiday freeze'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `Please loop in ${v}, who holds final sign-off authority on any contract above ten thousand.`,
      fact: (v) => `${v} holds final sign-off authority on contracts.`,
      values: ['our general counsel Ms. Reyes', 'the COO Mr. Lindqvist', 'our CISO Dr. Adeyemi', 'the regional director Ms. Novak'],
    },
    // Retrieval's development paraphrases: the same five kinds of fact in words the agents' standing questions do
    // not use (added so that retrieval could be tuned on dev for phrasings it was not written from).
    {
      kind: 'requirement',
      text: (v) => `Non-negotiable for us: ${v}. IT will block the purchase if that is missing.`,
      fact: (v) => `Hard requirement: the vendor must support ${v}.`,
      values: ['SAML login through Azure AD', 'hosting inside Canada', 'a full audit log export', 'role-based permissions per region'],
    },
    {
      kind: 'budget',
      text: (v) => `Finance has reserved ${v} for this initiative in next year's plan.`,
      fact: (v) => `Budget reserved by finance: ${v}.`,
      values: ['€90,000', '60k USD', '$1.2M', '85 thousand euros'],
    },
    {
      kind: 'competitor',
      text: (v) => `To be transparent, ${v} pitched us last month and their offer is still on the table.`,
      fact: (v) => `Also evaluating the competitor ${v}.`,
      values: ['Quantiva', 'Orbisoft', 'Helixa', 'Northwind Suite'],
    },
    {
      kind: 'deadline',
      text: (v) => `Everything has to be running in production by ${v}, otherwise we miss our peak season.`,
      fact: (v) => `Running in production by ${v} (deadline).`,
      values: ['June 15', 'the end of Q3', 'early January', '1 October'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `Nothing of this size gets signed without ${v}, so please copy them on the proposal from now on.`,
      fact: (v) => `${v} holds final sign-off authority on contracts.`,
      values: ['our procurement head Mr. Banerjee', 'the CFO Ms. Okafor', 'our VP of Operations Mr. Silva'],
    },
    // Retrieval's second development set: the buyer's own words (hurried, lower case, informal) and other
    // languages, so that the facets' cues and queries are tuned on dev for what they must find on unseen text.
    // Each ground-truth fact keeps a word of its source, so that the grader's key terms can be found in it.
    {
      kind: 'requirement',
      text: (v) => `quick one from my side, ${v} is a must for us, no exceptions, infosec will say no otherwise`,
      fact: (v) => `Must have: ${v}.`,
      values: ['okta login', 'eu hosting', 'audit trail export', 'ip allow-listing'],
    },
    {
      kind: 'budget',
      text: (v) => `fyi we can spend about ${v} on this, that is all in for year one`,
      fact: (v) => `Can spend ${v} in year one.`,
      values: ['40k', '$55k', '120 grand', '€70k'],
    },
    {
      kind: 'competitor',
      text: (v) => `heads up, ${v} did a demo for us on tuesday and they quoted lower`,
      fact: (v) => `Competitor ${v} demoed and quoted lower.`,
      values: ['Vantora', 'Brightwell', 'Koalify', 'Stackmoor'],
    },
    {
      kind: 'deadline',
      text: (v) => `we really have to be live by ${v}, if that slips the whole thing is off`,
      fact: (v) => `Live by ${v}; if that slips the deal is off.`,
      values: ['week 40', 'end of april', 'mid june', 'the 15th of august'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `just so you know ${v} makes the final call here, nothing moves without her`,
      fact: (v) => `${v} makes the final call.`,
      values: ['our head of purchasing, Ms. Dubois', 'Dr. Mbeki', 'the CFO, Ms. Hartley'],
    },
    {
      kind: 'requirement',
      text: (v) => `Eine zwingende Voraussetzung für uns: ${v}. Ohne das wird unsere IT-Abteilung nicht unterschreiben.`,
      fact: (v) => `Zwingende Voraussetzung: ${v}.`,
      values: ['Hosting in Deutschland', 'Anmeldung über Azure AD', 'ein vollständiges Audit-Protokoll'],
    },
    {
      kind: 'budget',
      text: (v) => `Zur Planung: Das freigegebene Budget für dieses Projekt beträgt ${v} für das Geschäftsjahr.`,
      fact: (v) => `Freigegebenes Budget: ${v}.`,
      values: ['80.000 €', '45.000 EUR', '150.000 Euro'],
    },
    {
      kind: 'competitor',
      text: (v) => `Offen gesagt sprechen wir parallel auch mit ${v} und vergleichen beide Angebote.`,
      fact: (v) => `Vergleichen Angebote, auch mit ${v}.`,
      values: ['Datavia', 'Nordlicht Software', 'Querbit'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `Bitte nehmen Sie ${v} in Kopie, er hat bei allen Verträgen das letzte Wort.`,
      fact: (v) => `${v} hat das letzte Wort bei Verträgen.`,
      values: ['Herr Becker', 'unseren Finanzvorstand Herr Wagner'],
    },
    {
      kind: 'competitor',
      text: (v) => `Pour être transparents, nous avons aussi reçu une offre de ${v} que nous comparons à la vôtre.`,
      fact: (v) => `Offre concurrente reçue de ${v}.`,
      values: ['Logivia', 'Cristallo', 'Numerix'],
    },
    {
      kind: 'deadline',
      text: (v) => `La mise en production doit être terminée avant le ${v}, sinon nous ratons la saison.`,
      fact: (v) => `Mise en production terminée avant le ${v}.`,
      values: ['15 mars', '1er juillet', '30 septembre'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `Por favor, incluya a ${v} en los correos: ella tiene la última palabra sobre el contrato.`,
      fact: (v) => `${v} tiene la última palabra sobre el contrato.`,
      values: ['la Sra. Molina', 'nuestra directora financiera, la Sra. Ortega'],
    },
    {
      kind: 'requirement',
      text: (v) => `Un requisito imprescindible para nosotros: ${v}. Sin eso no podemos firmar.`,
      fact: (v) => `Requisito imprescindible: ${v}.`,
      values: ['alojamiento de datos en España', 'inicio de sesión único con Okta', 'registro completo de auditoría'],
    },
    {
      kind: 'budget',
      text: (v) => `Para o planejamento: o orçamento aprovado para este projeto é de ${v} neste ano.`,
      fact: (v) => `Orçamento aprovado: ${v}.`,
      values: ['R$ 250.000', 'R$ 90.000', '60.000 euros'],
    },
    {
      kind: 'deadline',
      text: (v) => `O sistema precisa estar funcionando até ${v}, senão perdemos o prazo da diretoria.`,
      fact: (v) => `Funcionando até ${v} (prazo).`,
      values: ['o fim de junho', '30 de novembro', 'o final do trimestre'],
    },
    // Retrieval's third development set: facts written as labelled notes, questions, in the passive, against an
    // incumbent, relative to the buyer's own calendar, and in Italian and Dutch.
    {
      kind: 'budget',
      text: (v) => `Discovery notes\nBudget: ${v}, confirmed by their controller\nNext: pricing call`,
      fact: (v) => `Budget: ${v}, confirmed by their controller.`,
      values: ['45k EUR', '$38,500', '£52k'],
    },
    {
      kind: 'budget',
      text: (v) => `Could we keep the whole thing under ${v}? That is the ceiling we were given for this.`,
      fact: (v) => `Ceiling for this: ${v}.`,
      values: ['$50k', '€65,000', '30 thousand dollars'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `Contracts of this size are signed off by ${v}; nothing is final until then.`,
      fact: (v) => `Contracts signed off by ${v}.`,
      values: ['our managing director, Mr. Hollis', 'Dr. Varela', 'the board chair, Ms. Kaplan'],
    },
    {
      kind: 'competitor',
      text: (v) => `We're on ${v} today and their renewal comes up in the spring, so you are up against the incumbent.`,
      fact: (v) => `Incumbent vendor ${v}, renewal in spring.`,
      values: ['Corvana', 'Ledgerline', 'Tallyhub'],
    },
    {
      kind: 'deadline',
      text: (v) => `It has to work before ${v}, that is the date everyone here is planning around.`,
      fact: (v) => `Has to work before ${v} (planning date).`,
      values: ['our annual conference in May', 'the external audit in September', 'the store openings in spring'],
    },
    {
      kind: 'requirement',
      text: (v) => `Requirements from IT\n- ${v}\nNo vendor gets past the security review without it.`,
      fact: (v) => `Requirement from IT: ${v}.`,
      values: ['SSO through Google Workspace', 'data encrypted at rest', 'a signed DPA'],
    },
    {
      kind: 'budget',
      text: (v) => `Il budget approvato per questo progetto è di ${v} per l'anno fiscale.`,
      fact: (v) => `Budget approvato: ${v}.`,
      values: ['50.000 €', '120.000 euro'],
    },
    {
      kind: 'deadline',
      text: (v) => `De livegang moet uiterlijk ${v} afgerond zijn, anders missen we het seizoen.`,
      fact: (v) => `Livegang uiterlijk ${v} afgerond.`,
      values: ['1 maart', 'eind juni', 'het derde kwartaal'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `L'ultima parola sui contratti spetta a ${v}, per favore mettetelo in copia.`,
      fact: (v) => `${v} ha l'ultima parola sui contratti.`,
      values: ['il Sig. Rinaldi', 'il nostro direttore finanziario, il Dott. Greco'],
    },
    // Retrieval's fourth development set, from the categories the first three lack: a rep's dictated voice memo
    // (speech-to-text: lower case, no punctuation, fillers), a fact given as the answer to a question the buyer
    // repeats, indirect statements (a most, a whoever, a nothing-unless), and languages no cue is written for
    // (Swedish, Polish, Danish).
    {
      kind: 'budget',
      text: (v) => `voice memo transcript um so after the call with finance uh they can do ${v} for the first year and that is already signed off on their side`,
      fact: (v) => `Finance can do ${v} for the first year, signed off.`,
      values: ['65 thousand', '40k', 'a hundred and ten k', '80 grand'],
    },
    {
      kind: 'deadline',
      text: (v) => `voice memo transcript ok so the main thing um they need this working by ${v} because uh the whole team switches over then`,
      fact: (v) => `Needs this working by ${v}; the team switches over then.`,
      values: ['the first of march', 'end of q1', 'mid september', 'the 20th of may'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `voice memo transcript so uh quick note ${v} is the one who actually signs um everybody else just gives input`,
      fact: (v) => `${v} is the one who actually signs.`,
      values: ['their cfo ms. alvarez', 'mr. okoye from procurement', 'the coo dr. brandt'],
    },
    {
      kind: 'budget',
      text: (v) => `You asked what we have to work with. It is ${v}, and that number will not move this year.`,
      fact: (v) => `What they have to work with: ${v}; the number will not move this year.`,
      values: ['$72,000', '€58k', '95 thousand dollars'],
    },
    {
      kind: 'requirement',
      text: (v) => `To answer your question from last week: we can't buy anything that doesn't have ${v}. That's where IT draws the line.`,
      fact: (v) => `Cannot buy anything without ${v}.`,
      values: ['SSO via OneLogin', 'hosting in Australia', 'field-level audit history'],
    },
    {
      kind: 'competitor',
      text: (v) => `The other option on the table is ${v}; they came in with a lower number and a faster rollout.`,
      fact: (v) => `The other option on the table: ${v}.`,
      values: ['Ravelin Cloud', 'Spektra', 'Fennix'],
    },
    {
      kind: 'deadline',
      text: (v) => `Ideally the whole thing is done and dusted by ${v}; after that the warehouse is in peak mode and nobody has time.`,
      fact: (v) => `Done by ${v}, before peak mode.`,
      values: ['late August', 'the 1st of October', 'early spring'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `Whatever we agree, it lands on the desk of ${v} in the end; it is her call.`,
      fact: (v) => `Lands on the desk of ${v}; her call.`,
      values: ['Ms. Takahashi', 'our CFO Ms. Brennan', 'Dr. Haas'],
    },
    {
      kind: 'requirement',
      text: (v) => `Ett absolut krav från vår sida: ${v}. Utan det skriver vi inte på.`,
      fact: (v) => `Absolut krav: ${v}.`,
      values: ['datalagring i Sverige', 'inloggning med BankID', 'fullständig revisionslogg'],
    },
    {
      kind: 'budget',
      text: (v) => `Zatwierdzony budżet na ten projekt wynosi ${v} na cały rok.`,
      fact: (v) => `Zatwierdzony budżet: ${v}.`,
      values: ['200 tys. zł', '85 000 zł', '50 000 euro'],
    },
    {
      kind: 'deadline',
      text: (v) => `Systemet skal være i drift senest ${v}, ellers når vi det ikke før sæsonen.`,
      fact: (v) => `I drift senest ${v}.`,
      values: ['1. april', 'udgangen af juni', 'uge 36'],
    },
    {
      kind: 'competitor',
      text: (v) => `Równolegle rozmawiamy też z firmą ${v} i porównamy obie oferty.`,
      fact: (v) => `Rozmawiają też z ${v}.`,
      values: ['Technova', 'Polaris Systemy', 'Datasfera'],
    },
    {
      kind: 'stakeholder',
      text: (v) => `Det är ${v} som har sista ordet om avtalet, så ta gärna med henne på mejlen.`,
      fact: (v) => `${v} har sista ordet om avtalet.`,
      values: ['vår ekonomichef Anna Lind', 'fru Berg'],
    },
  ],
  revisions: [
    {
      kind: 'budget',
      before: (v) => `The approved budget for this project is ${v} for now.`,
      after: (v, old) => `Update: the approved budget was revised from ${old} to ${v}.`,
      fact: (v) => `Approved budget (revised): ${v}.`,
      values: ['$58,000', '$110,000', '$205,000', '$36,000'],
    },
    {
      kind: 'stakeholder',
      before: (v) => `${v} holds final sign-off authority on this contract.`,
      after: (v, old) => `${old} has left the company; ${v} now holds final sign-off authority.`,
      fact: (v) => `${v} holds final sign-off authority.`,
      values: ['Ms. Varga', 'Mr. Oyelaran', 'Ms. Lindgren', 'Mr. Castellanos'],
    },
    {
      kind: 'budget',
      before: (v) => `Finance reserved ${v} for the rollout this year.`,
      after: (v, old) => `Correction to my earlier note: we now have ${v} to work with, not ${old}.`,
      fact: (v) => `Budget after the correction: ${v}.`,
      values: ['€44,000', '$95k', '70 thousand dollars', '$150,000'],
    },
    {
      kind: 'stakeholder',
      before: (v) => `${v} is the person who approves this purchase.`,
      after: (v, old) => `${v} took over approvals from ${old}, who moved to another role.`,
      fact: (v) => `${v} holds final sign-off authority.`,
      values: ['Ms. Haddad', 'Mr. Kowalski', 'Ms. Ferreira', 'Mr. Nakamura'],
    },
    {
      kind: 'budget',
      before: (v) => `we were told ${v} for this, give or take.`,
      after: (v, old) => `so the number moved, ${v} now and not ${old}, finance was pretty clear about it`,
      fact: (v) => `Budget now ${v} (finance).`,
      values: ['$62k', '$48k', '90 grand', '€35k'],
    },
    {
      kind: 'stakeholder',
      before: (v) => `${v} signs off anything we buy.`,
      after: (v, old) => `${old} is on leave until spring, so ${v} signs off in the meantime.`,
      fact: (v) => `${v} signs off in the meantime.`,
      values: ['Ms. Pereira', 'Mr. Johansson', 'Ms. Achterberg', 'Mr. Idowu'],
    },
  ],
  answers: [
    {
      question: (p, n) => `Quick question before we decide: can the ${p} support ${n} out of the box? Our team needs that answered this week.`,
      answer: (p, n) => `Technical review notes: the ${p} supports ${n} out of the box through the reporting module.`,
    },
  ],
  needThemes: {
    compliance: [
      'Compliance is the priority: every change to {term} must be auditable.',
      'They need audit trails and access controls around the {product}.',
      'The audit findings on {term} drive this project.',
    ],
    scale: [
      'Growth is the driver: volumes on {term} keep rising every month.',
      'They need the {product} to handle peak load without slowing down.',
      'Scaling {term} to more sites is the main goal.',
    ],
    cost: [
      'Cost reduction is the theme: they want fewer tools around {term}.',
      'The budget owner asks for savings on the {product}.',
      'Reducing license costs for {term} matters most to them.',
    ],
    integration: [
      'Integration is the driver: {term} data is spread across disconnected systems.',
      'They need the {product} to sync with their data warehouse.',
      'Duplicate data in {term} causes reporting errors.',
    ],
    adoption: [
      'User adoption is the concern: the team finds {term} hard to learn.',
      'They need training and onboarding for the {product}.',
      'Low usage of the current tool for {term} is the problem.',
    ],
    expansion: [
      'International expansion drives this: {term} must work in new regions.',
      'They need the {product} in several languages and currencies.',
      'New country offices will need {term} next year.',
    ],
  },
  budgetConfirmed: ['Our budget for this purchase is approved.', 'Finance gave us the green light to buy this.', 'The money for this is cleared on our side now.'],
  foreign: [
    {
      lang: 'de',
      opening: 'Vielen Dank für das Gespräch heute.',
      commitments: [{ gist: 'Preisliste senden', terms: ['preisliste'], owner: 'rep', line: 'Ich werde Ihnen morgen die Preisliste senden.' }],
      objections: [{ gist: 'Datenschutz prüfen', terms: ['datenschutz'], line: 'Unser Datenschutz muss das Angebot noch prüfen, das ist ein Problem.' }],
      closing: 'Bis bald.',
    },
    {
      lang: 'es',
      opening: 'Gracias por la reunión de hoy.',
      commitments: [{ gist: 'enviar el contrato', terms: ['contrato'], owner: 'rep', line: 'Voy a enviar el contrato mañana.' }],
      objections: [{ gist: 'el precio es alto', terms: ['precio'], line: 'El precio es demasiado alto para nosotros.' }],
      closing: 'Hasta pronto.',
    },
  ],
  sttNoise: 0.25,
  foreignShare: 0.05,
  fillers: ['um', 'uh', 'well'],
  dueDates: ['by Friday', 'next week', 'by end of month', ''],
};
