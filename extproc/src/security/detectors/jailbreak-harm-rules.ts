// Harmful requests themselves, and the pretexts that carry them: a drug, poison or explosive to be made, a crime to
// be explained, a story in which a character explains how to do it, "for educational purposes, in detail". A harmful
// request alone is a content question, not an injection: these weigh below the report threshold and count when a
// laundering frame, a persona licence or a template stands next to them.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** Ways of asking for the full procedure rather than an overview. */
const IN_DETAIL = String.raw`(?:in\s+(?:great|full|vivid|exact|precise|meticulous|explicit|extreme|excruciating)\s+detail|step[-\s]by[-\s]step|exact\s+(?:steps|instructions|quantities|amounts|measurements))`;
/** Framings that make a request a story or a supposition. */
const FICTION =
  '(?:story|fictional|fiction|novel|screenplay|script|scene|roleplay|role-play|hypothetical(?:ly)?|imaginary)';

export const HARM_RULES: readonly SignalRule[] = [
  rule({
    id: 'harmful_synthesis',
    family: 'framing',
    weight: 0.3,
    triggers: [
      'meth',
      'methamphetamine',
      'cocaine',
      'heroin',
      'fentanyl',
      'lsd',
      'mdma',
      'napalm',
      'thermite',
      'nitroglycerin',
      'tatp',
      'pipe bomb',
      'bomb',
      'bombs',
      'explosive',
      'explosives',
      'ricin',
      'sarin',
      'nerve agent',
      'molotov',
      'nicotine',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:synthesi[sz](?:e|es|ed|ing)|cook(?:s|ed|ing)?|mak(?:e|es|ing)|produc(?:e|es|ing)|extract(?:s|ed|ing)?|manufactur(?:e|es|ed|ing)|build(?:s|ing)?|assembl(?:e|es|ed|ing)|construct(?:s|ed|ing)?|(?:synthesis|production|manufacture|preparation|extraction|assembly|construction)\s+of)\s+(?:a\s+|an\s+|the\s+|some\s+|homemade\s+|crystal\s+)?)(?:meth(?:amphetamine)?|cocaine|heroin|fentanyl|lsd|mdma|napalm|thermite|nitroglycerin|tatp|pipe\s+bombs?|bombs?|explosives|explosive\s+(?:devices?|charges?|materials?|vests?)|ricin|sarin|nerve\s+agents?|molotov(?:\s+cocktails?)?|nicotine)\b`,
    ),
    reason: 'names the making of a drug, poison or explosive',
  }),
  rule({
    id: 'criminal_how_to',
    family: 'framing',
    weight: 0.3,
    triggers: [
      'break into',
      'breaking into',
      'hotwire',
      'hotwiring',
      'pick a lock',
      'picking a lock',
      'crack a safe',
      'cracking a safe',
      'cracking safes',
      'dispose',
      'disposing',
      'launder',
      'laundering',
      'shoplift',
      'shoplifting',
      'counterfeit',
      'forge',
      'forging',
      'poison',
      'poisoning',
      'kidnap',
      'kidnapping',
      'abduct',
      'stalk',
      'stalking',
      'steal',
      'stealing',
      'rob',
      'robbing',
      'kill',
      'killing',
      'murder',
      'murdering',
      '3d print',
      'make an untraceable',
      'build an untraceable',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:how\s+to|how\s+(?:do|would|can)\s+(?:i|you|one|someone)|technique\s+for|steps?\s+(?:to|for)|ways?\s+to|method\s+(?:to|for)|guide\s+(?:to|for|on)|art\s+of|tutorial\s+on)\s+)(?:break(?:ing)?\s+into\s+(?:a|the|someone's|my\s+neighbou?r's)\s+(?:house|home|car|apartment|flat|building)|hotwir(?:e|ing)\s+a\s+car|pick(?:ing)?\s+a\s+lock|crack(?:ing)?\s+(?:a\s+)?safes?|dispos(?:e|ing)\s+(?:of\s+)?(?:a\s+)?(?:dead\s+)?bod(?:y|ies)|launder(?:ing)?\s+(?:money|cash)|shoplift(?:ing)?|counterfeit(?:ing)?\s+(?:money|bills|currency|banknotes)|forg(?:e|ing)\s+(?:a\s+)?(?:passports?|ids?|id\s+cards?|signatures?|documents?)|poison(?:ing)?\s+(?:someone|somebody|a\s+person|my\s+\w+|people|him|her)|(?:kidnap(?:ping)?|abduct(?:ing)?)\s+(?:someone|somebody|a\s+(?:child|person|kid))|stalk(?:ing)?\s+(?:someone|somebody|a\s+person|my\s+ex)|steal(?:ing)?\s+(?:a\s+car|someone's\s+identity|credit\s+cards?)|rob(?:bing)?\s+(?:a\s+)?(?:bank|store|house|person)|(?:kill(?:ing)?|murder(?:ing)?)\s+(?:someone|somebody|a\s+person|my\s+\w+|people|him|her)\s+(?:without|and\s+get\s+away)|3d\s+print\s+(?:a\s+)?(?:gun|firearm)|(?:make|build)\s+an\s+untraceable\s+(?:gun|firearm))\b`,
    ),
    reason: 'asks how to commit a crime',
  }),
  rule({
    id: 'evades_getting_caught',
    family: 'framing',
    weight: 0.3,
    triggers: [
      'without getting caught',
      'without being caught',
      'without leaving',
      'avoid getting caught',
      'avoid detection',
    ],
    pattern: rx(
      String.raw`(?:without|avoid)\s+(?:getting\s+caught|being\s+caught|leaving\s+(?:any\s+)?(?:evidence|traces?|fingerprints)|detection\s+by\s+(?:the\s+)?(?:police|cops|law\s+enforcement|authorities))\b`,
    ),
    reason: 'asks how to do something without being caught',
  }),
  rule({
    id: 'fiction_explains_how',
    family: 'framing',
    weight: 0.4,
    triggers: [
      'explain',
      'explains',
      'explaining',
      'describe',
      'describes',
      'describing',
      'detail',
      'details',
      'teach',
      'teaches',
      'walk',
      'walks',
    ],
    // "How to" is checked first, so the look back for a fictional frame runs only where a procedure is asked for;
    // the listener may be named in between ("explains to his apprentice exactly how to").
    pattern: rx(
      String.raw`(?=(?:explain(?:s|ing)?|describ(?:e|es|ing)|details?|teach(?:es)?|walks?\s+(?:us|me|the\s+(?:reader|audience))\s+through)\s+(?:(?:to\s+)?(?:him|her|them|me|us|(?:the|his|her|their|a|an)\s+[a-z]+)\s+)?(?:(?:${IN_DETAIL}|exactly|precisely|accurately|realistically)\s+)?how\s+to\b)(?<=\b${FICTION}\b[^]{0,200}?)(?:explain(?:s|ing)?|describ(?:e|es|ing)|details?|teach(?:es)?|walks?)\b`,
    ),
    reason: 'a story or hypothetical in which someone explains how to do it',
  }),
  rule({
    id: 'hypothetical_how_would',
    family: 'framing',
    weight: 0.3,
    triggers: ['how would', 'how could', 'how might'],
    pattern: rx(
      String.raw`(?<=\b(?:${FICTION}|in\s+an?\s+(?:story|novel|film|movie|game|alternate\s+(?:world|universe|reality)))\b[^.?!\n]{0,60}?)how\s+(?:would|could|might)\s+(?:someone|somebody|one|a\s+person|a\s+character|the\s+character|you|he|she|they|i)\b`,
    ),
    reason: 'asks how someone would do it, inside a hypothetical or a story',
  }),
  rule({
    id: 'educational_pretext_in_detail',
    family: 'framing',
    weight: 0.3,
    triggers: ['educational purpose', 'research purpose', 'academic purpose', 'informational purpose'],
    pattern: rx(
      String.raw`(?:educational|research|academic|informational)\s+purposes?\b(?:(?=[^]{0,200}?\b${IN_DETAIL})|(?<=\b${IN_DETAIL}\b[^]{0,200}?(?:educational|research|academic|informational)\s+purposes?))`,
    ),
    reason: 'an "educational purposes" pretext for a step-by-step account',
  }),
  rule({
    id: 'toxic_gas_mixture',
    family: 'framing',
    weight: 0.3,
    triggers: ['toxic', 'poisonous', 'deadly', 'lethal'],
    pattern: rx(
      String.raw`(?<=\b(?:chemicals?|substances?|products?|cleaners?)\s+(?:\S+\s+){0,3}?(?:make|makes|produce|produces|create|creates|form|forms|release|releases|give\s+off|gives\s+off)\s+(?:a\s+)?)(?:toxic|poisonous|deadly|lethal)\s+(?:gas|gases|fumes|smoke|vapou?rs?)\b`,
    ),
    reason: 'asks which chemicals make a toxic gas',
  }),
];
