/**
 * The words of the deal facets (deal-facets.ts) in the other languages buyers write in: German, French, Spanish,
 * Portuguese, Italian, Dutch, Swedish, Danish, Norwegian and Polish. Written from each language's ordinary words for the same question (what must the
 * product do, what may it cost, by when, who else, who signs), and tuned on the `dev` style only, like the English
 * cues.
 */

/**
 * An alternation of whole words or phrases, bounded by letters rather than by `\b` (which does not see "é" or "ç" as
 * part of a word). For a pattern compiled with the `u` and `i` flags.
 */
export function words(list: readonly string[]): string {
  // Several languages share a word ("budget", "decide", "funcionando"): each appears once.
  const alt = [...new Set(list)].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')).join('|');
  return String.raw`(?<![\p{L}\p{N}])(?:${alt})(?![\p{L}\p{N}])`;
}

/** Month names of the other languages (English ones are in deal-facets.ts). */
export const FOREIGN_MONTHS = words([
  // German
  'januar', 'jänner', 'februar', 'märz', 'maerz', 'mai', 'juni', 'juli', 'oktober', 'dezember',
  // French
  'janvier', 'février', 'fevrier', 'mars', 'avril', 'juin', 'juillet', 'août', 'aout', 'septembre', 'octobre', 'novembre', 'décembre', 'decembre',
  // Spanish
  'enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'setiembre', 'octubre', 'noviembre', 'diciembre',
  // Portuguese
  'janeiro', 'fevereiro', 'março', 'maio', 'junho', 'julho', 'setembro', 'outubro', 'novembro', 'dezembro',
  // Italian
  'gennaio', 'febbraio', 'aprile', 'maggio', 'giugno', 'luglio', 'settembre', 'ottobre', 'dicembre',
  // Dutch
  'januari', 'februari', 'maart', 'mei', 'augustus',
  // Swedish, Danish, Norwegian
  'mars', 'marts', 'maj', 'augusti', 'desember',
  // Polish (the genitive of a date, "15 marca", and the name alone)
  'stycznia', 'lutego', 'marca', 'kwietnia', 'maja', 'czerwca', 'lipca', 'sierpnia', 'września', 'października', 'listopada', 'grudnia',
  'styczeń', 'luty', 'marzec', 'kwiecień', 'czerwiec', 'lipiec', 'sierpień', 'wrzesień', 'październik', 'listopad', 'grudzień',
]);

const PERIODS = words([
  'jahres', 'jahr', 'quartals', 'quartal', 'monats', 'geschäftsjahres', 'année', 'annee', 'trimestre', 'mois', 'exercice', 'semestre',
  'año', 'ano', 'mes', 'mês', 'anno', 'jaar', 'kwartaal', 'maand', 'året', 'kvartalet', 'måneden', 'månaden', 'roku', 'kwartału', 'miesiąca',
]);

/**
 * A date in another language: a day with a month ("15. März", "1er juillet", "30 de noviembre"), a month with a
 * year, a month after a word that sets a time ("bis Juni", "avant avril", "hasta mayo", "até junho"), the start or
 * end of a period ("Ende des Quartals", "fin de l'année", "final do trimestre"), a numbered quarter ("3. Quartal",
 * "deuxième trimestre") or a numbered week ("KW 40", "semaine 12", "semana 20").
 */
export const FOREIGN_DATE = [
  String.raw`\b\d{1,2}(?:\.|er|º|°|o)?\s+(?:de\s+|di\s+)?${FOREIGN_MONTHS}`,
  String.raw`${FOREIGN_MONTHS}\s+(?:de\s+|del\s+)?20\d\d\b`,
  String.raw`${words(['bis', 'vor', 'ab', 'im', 'avant', "d'ici", 'dès', 'en', 'hasta', 'antes de', 'para', 'até', 'em', 'entro', 'prima di', 'voor', 'uiterlijk', 'tegen', 'senast', 'senest', 'innan', 'före', 'inden', 'innen', 'før', 'przed', 'najpóźniej', 'do końca'])}\s+(?:(?:de|del|le|la|el|o|fin|finales|final|fim|início|inicio|début|debut|mitte|ende|anfang|eind|begin|fine)\s+){0,2}${FOREIGN_MONTHS}`,
  String.raw`${words(['ende', 'anfang', 'mitte', 'fin', 'début', 'debut', 'final', 'finales', 'fim', 'início', 'inicio', 'fine', 'inizio', 'eind', 'begin', 'einde', 'udgangen', 'slutet', 'slutten', 'starten', 'början', 'begyndelsen', 'koniec', 'końca', 'początek'])}\s+(?:(?:des|de|del|do|da|du|dell|van|het|af|av|på)\s*['’]?\s*|l['’]\s*|la\s+){0,2}(?:${PERIODS}|${FOREIGN_MONTHS})`,
  String.raw`\b[1-4]\.\s*quartal\b`,
  String.raw`${words(['premier', 'deuxième', 'second', 'troisième', 'quatrième', '1er', '2e', '3e', '4e', 'primer', 'segundo', 'tercer', 'cuarto', 'primeiro', 'terceiro', 'quarto', 'primo', 'secondo', 'terzo', 'eerste', 'tweede', 'derde', 'vierde'])}\s+(?:trimestre|kwartaal)`,
  String.raw`\b(?:kw|kalenderwoche|semaine|semana|settimana|week|vecka|uge|uke|tydzień|tygodnia)\s*\d{1,2}\b`,
].join('|');

/** An amount written with its currency after the number ("80.000 €", "250 000 $") or as "R$ 250.000". */
export const AMOUNT_SIGN_AFTER = String.raw`\d[\d,.' ]*\s?[€£$](?![\p{L}\p{N}])|\bR\$\s?\d[\d,.']*|\b\d[\d,.']*\s?(?:mil|tausend|mille|millionen|millions|million|millones|milhões|mio\.?|mln|tys\.?|tusen|tusind|miljoner|millioner|zł|kr|sek|dkk|nok|pln)(?![\p{L}\p{N}])`;

/** Titles before a name ("Herr Becker", "Mme Laurent", "la Sra. Molina") and roles that sign. */
export const FOREIGN_PERSON = String.raw`(?<![\p{L}\p{N}])(?:herr|frau|hr|fr|fru|mme|mlle|sr|sra|srta|dhr|mevr|sig|sig\.ra|dott|dott\.ssa|don|doña|dona|pan|pani)\.?\s+\p{Lu}[\p{L}'-]+|(?<![\p{L}\p{N}.])M\.\s+\p{Lu}[\p{L}'-]+|${words([
  'geschäftsführer', 'geschäftsführerin', 'finanzvorstand', 'vorstand', 'einkaufsleiter', 'einkaufsleiterin', 'finanzchef', 'finanzchefin', 'prokurist',
  'directeur financier', 'directrice financière', 'directeur général', 'directrice générale', 'pdg', 'daf',
  'director financiero', 'directora financiera', 'director general', 'directora general', 'gerente general',
  'diretor financeiro', 'diretora financeira', 'diretor geral', 'diretora geral',
  'direttore finanziario', 'amministratore delegato', 'financieel directeur', 'algemeen directeur',
  'ekonomichef', 'finanschef', 'finansdirektör', 'vd', 'inköpschef', 'økonomichef', 'økonomidirektør', 'administrerende direktør', 'indkøbschef',
  'økonomisjef', 'finansdirektør', 'daglig leder', 'innkjøpssjef', 'dyrektor finansowy', 'dyrektorka finansowa', 'prezes', 'prezeska', 'zarząd',
])}`;

/** "Without that", "otherwise" in the other languages: a sentence that states what follows from the one before. */
export const FOREIGN_CARRY = [
  'ohne das', 'ohne dies', 'ohne diese', 'ohne diesen', 'sonst', 'andernfalls', 'sans cela', 'sans ça', 'sans quoi', 'sinon', 'faute de quoi',
  'sin eso', 'sin esto', 'sin ello', 'de lo contrario', 'si no', 'sem isso', 'senão', 'caso contrário', 'senza questo', 'senza di esso', 'altrimenti',
  'zonder dat', 'zonder dit', 'anders', 'utan det', 'utan detta', 'annars', 'uden det', 'ellers', 'uten det', 'bez tego', 'w przeciwnym razie',
];

/** Each facet's cue words in the other languages, by the cue they add to (see deal-facets.ts). */
export const FOREIGN = {
  requirement: {
    necessity: [
      'zwingend', 'zwingende', 'voraussetzung', 'pflicht', 'muss', 'müssen', 'unbedingt', 'erforderlich', 'notwendig', 'unverzichtbar', 'ausschlusskriterium',
      'obligatoire', 'indispensable', 'impératif', 'exigence', 'exigeons', 'doit', 'doivent', 'condition',
      'imprescindible', 'obligatorio', 'obligatoria', 'requisito', 'requisitos', 'debe', 'tiene que', 'tienen que', 'necesitamos',
      'obrigatório', 'obrigatória', 'imprescindível', 'precisa', 'precisamos', 'deve', 'exigimos',
      'necessario', 'obbligatorio', 'irrinunciabile', 'vereist', 'verplicht', 'moet', 'eis',
      'krav', 'kravet', 'måste', 'obligatoriskt', 'obligatorisk', 'nödvändigt', 'nødvendigt', 'nødvendig', 'förutsättning', 'forudsætning', 'forutsetning',
      'wymóg', 'wymagane', 'wymagany', 'musi', 'musimy', 'konieczne', 'konieczny', 'obowiązkowe', 'warunek',
    ],
    need: ['brauchen', 'benötigen', 'besoin', 'nécessaire', 'necesario', 'necessário', 'necessitiamo', 'abbiamo bisogno', 'nodig', 'hebben nodig', 'behöver', 'behøver', 'har brug for', 'trenger', 'potrzebujemy', 'potrzebne'],
    consequence: [
      'ohne', 'sonst', 'unterschreiben', 'unterschreibt', 'kaufen', 'freigeben', 'sans', 'sinon', 'signer', 'signera', 'acheter',
      'sin', 'si no', 'firmar', 'comprar', 'sem', 'senão', 'assinar', 'senza', 'altrimenti', 'firmare', 'zonder', 'anders', 'tekenen',
      'utan', 'annars', 'skriver inte på', 'skriva på', 'köpa', 'uden', 'ellers', 'underskrive', 'købe', 'uten', 'signere', 'kjøpe',
      'bez', 'podpisać', 'podpiszemy', 'kupić',
    ],
    capability: [
      'hosting', 'gehostet', 'rechenzentrum', 'anmeldung', 'protokoll', 'datenschutz', 'sicherheit', 'verschlüsselung', 'schnittstelle',
      'hébergement', 'hébergé', 'hébergées', 'connexion', 'journal', 'sécurité', 'chiffrement', 'authentification',
      'alojamiento', 'alojados', 'inicio de sesión', 'registro', 'seguridad', 'cifrado', 'integración',
      'hospedagem', 'hospedados', 'segurança', 'criptografia', 'integração', 'autenticação',
      'sicurezza', 'crittografia', 'accesso', 'beveiliging', 'versleuteling', 'inloggen',
      'datalagring', 'inloggning', 'revisionslogg', 'säkerhet', 'kryptering', 'sikkerhed', 'sikkerhet', 'innlogging', 'logowanie', 'bezpieczeństwo',
      'szyfrowanie', 'integracja', 'przechowywanie danych',
    ],
  },
  budget: {
    money: [
      'budget', 'budgets', 'etat', 'mittel', 'kosten', 'ausgeben', 'investition', 'enveloppe', 'dépenser', 'coût', 'financement',
      'presupuesto', 'gastar', 'inversión', 'fondos', 'orçamento', 'verba', 'gastar', 'investimento', 'budget', 'stanziamento', 'spesa',
      'begroting', 'uitgeven', 'budgeten', 'pengar', 'kostnad', 'investering', 'medel', 'budgettet', 'penge', 'budsjett', 'budsjettet', 'penger',
      'budżet', 'budżetu', 'środki', 'koszt', 'wydać', 'inwestycja',
    ],
    approval: [
      'freigegeben', 'freigegebene', 'freigegebenes', 'genehmigt', 'genehmigte', 'bewilligt', 'bewilligte', 'approuvé', 'approuvée', 'validé', 'validée', 'accordé',
      'aprobado', 'aprobada', 'autorizado', 'confirmado', 'aprovado', 'aprovada', 'autorizada', 'approvato', 'stanziato', 'goedgekeurd', 'vrijgegeven',
      'godkänd', 'godkänt', 'godkända', 'beviljad', 'beviljat', 'godkendt', 'bevilget', 'godkjent', 'zatwierdzony', 'zatwierdzona', 'zatwierdzone',
      'zaakceptowany', 'przyznany',
    ],
  },
  timeline: {
    milestone: [
      'frist', 'termin', 'stichtag', 'einführung', 'produktiv', 'livegang', 'inbetriebnahme', 'fertig', 'abgeschlossen',
      'mise en production', 'échéance', 'date limite', 'déploiement', 'opérationnel', 'terminée', 'terminé', 'livraison',
      'plazo', 'fecha límite', 'puesta en marcha', 'en producción', 'lanzamiento', 'listo', 'funcionando',
      'prazo', 'entrada em produção', 'em produção', 'lançamento', 'pronto', 'funcionando', 'scadenza', 'messa in produzione', 'in produzione',
      'termijn', 'livegang', 'in productie', 'opgeleverd',
      'i drift', 'driftsättning', 'idriftsættelse', 'lansering', 'lancering', 'klar', 'färdig', 'færdig', 'ferdig', 'tidsfrist', 'frist',
      'wdrożenie', 'uruchomienie', 'gotowy', 'gotowe', 'termin', 'na produkcji',
    ],
    by: ['bis', 'bis zum', 'spätestens', 'avant', "d'ici", 'au plus tard', 'hasta', 'antes de', 'a más tardar', 'até', 'no máximo', 'entro', 'uiterlijk', 'voor', 'senast', 'senest', 'före', 'innan', 'inden', 'innen', 'før', 'przed', 'najpóźniej'],
  },
  competition: {
    evaluating: [
      'vergleichen', 'vergleich', 'wettbewerber', 'konkurrenz', 'konkurrent', 'alternative', 'alternativen', 'parallel', 'angebot von', 'sprechen auch mit',
      'concurrent', 'concurrence', 'concurrente', 'comparons', 'comparer', 'comparaison', 'offre de', 'en parallèle', 'alternative',
      'competidor', 'competencia', 'comparando', 'comparar', 'oferta de', 'en paralelo', 'alternativa',
      'concorrente', 'concorrência', 'comparar', 'proposta de', 'em paralelo', 'concorrenza', 'confrontare', 'offerta di',
      'concurrent', 'vergelijken', 'offerte van',
      'jämför', 'jämföra', 'sammenligner', 'sammenligne', 'konkurrent', 'konkurrenter', 'alternativ', 'parallellt', 'parallelt', 'offert från',
      'tilbud fra', 'pratar också med', 'taler også med', 'snakker også med', 'porównamy', 'porównujemy', 'porównać', 'konkurencja', 'alternatywa',
      'równolegle', 'oferta od', 'rozmawiamy też z', 'rozmawiamy także z',
    ],
    offer: ['angebot', 'angebote', 'preis', 'günstiger', 'offre', 'offres', 'devis', 'moins cher', 'oferta', 'ofertas', 'más barato', 'proposta', 'mais barato', 'offerta', 'offerte', 'goedkoper', 'demo', 'offert', 'offerter', 'anbud', 'pris', 'billigare', 'tilbud', 'billigere', 'oferty', 'ofert', 'cena', 'taniej'],
  },
  decision: {
    role: [
      'geschäftsführer', 'geschäftsführerin', 'vorstand', 'finanzvorstand', 'einkauf', 'einkaufsleiter', 'rechtsabteilung', 'leiter', 'leiterin',
      'directeur', 'directrice', 'direction', 'achats', 'juridique', 'pdg', 'daf',
      'director', 'directora', 'dirección', 'compras', 'jurídico', 'gerente', 'diretor', 'diretora', 'diretoria', 'jurídico',
      'direttore', 'direttrice', 'acquisti', 'directeur', 'inkoop', 'directie',
      'ekonomichef', 'inköp', 'direktör', 'direktør', 'ledningen', 'styrelsen', 'bestyrelsen', 'styret', 'indkøb', 'innkjøp', 'dyrektor', 'zarząd', 'prezes',
    ],
    authority: [
      'letzte wort', 'entscheidet', 'entscheidung', 'unterschreibt', 'unterschrift', 'genehmigt', 'freigabe', 'in kopie',
      'dernier mot', 'décide', 'décision', 'signe', 'signature', 'valide', 'en copie',
      'última palabra', 'decide', 'decisión', 'firma', 'aprueba', 'en copia',
      'última palavra', 'decisão', 'assina', 'aprova', 'em cópia', 'ultima parola', 'decide', 'approva',
      'laatste woord', 'beslist', 'beslissing', 'tekent', 'keurt',
      'sista ordet', 'sidste ord', 'siste ord', 'beslutar', 'beslutter', 'bestemmer', 'beslut', 'beslutning', 'skriver under', 'undertecknar',
      'underskriver', 'signerer', 'godkänner', 'godkender', 'godkjenner', 'ostatnie słowo', 'decyduje', 'decyzja', 'podpisuje', 'zatwierdza', 'w kopii',
    ],
  },
} as const;

/**
 * One query per facet in the other languages' words, searched beside the English ones: lexical search only finds a
 * German or Spanish answer through its own words, and a multilingual embedding model finds it more surely too.
 */
export const FOREIGN_QUERIES = {
  requirement: 'zwingende Voraussetzung Anforderung exigence obligatoire requisito imprescindible obrigatório krav måste wymóg konieczne',
  budget: 'freigegebenes Budget genehmigt budget approuvé presupuesto aprobado orçamento aprovado godkänd budget zatwierdzony budżet',
  timeline: 'Frist Einführung produktiv date limite mise en production plazo puesta en marcha prazo i drift senast wdrożenie termin',
  competition: 'vergleichen Angebot Wettbewerber offre concurrente oferta competidor proposta concorrente jämför konkurrent porównamy oferty',
  decision: 'letzte Wort entscheidet unterschreibt dernier mot décide última palabra firma decisão sista ordet beslutar ostatnie słowo decyduje',
} as const;
