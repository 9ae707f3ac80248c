// Jailbreak techniques that avoid the licence words the core tables key on: an "unlocked" output tag borrowed from
// the developer-mode scaffolds, a persona declared to have no morals, a demand that the output be bigoted, a model
// declared free of its usual behaviour, a question about getting past the refusal message itself, and a fiction
// that asks for a working cyber weapon. Each rule names the technique's own words, never one prompt's.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** Bigotry an output can be told to have. */
const BIGOTED =
  '(?:sexist|racist|homophobic|transphobic|misogynistic|misogynist|antisemitic|anti-semitic|bigoted|xenophobic|islamophobic)';
/** The open padlock emoji (a surrogate pair: the patterns are not compiled in unicode mode). */
const PADLOCK = '\u{1f513}';
/** Malicious software a story may ask to see built. */
const CYBER_WEAPON = '(?:virus|malware|ransomware|keylogger|worm|trojan|rootkit|botnet|spyware|backdoor)';

export const TECHNIQUE_RULES: readonly SignalRule[] = [
  rule({
    id: 'unlocked_output_tag',
    family: 'persona',
    weight: 0.5,
    // The open padlock marks the "unlocked" persona's output in the developer-mode and DAN scaffolds; as a tag it
    // sits inside a bracket or a quote, or right after the persona's name before its colon. Loose padlocks in
    // marketing copy ("🔓 Unlock premium") are neither.
    triggers: [PADLOCK],
    pattern: rx(
      String.raw`(?<=[\[({"'\u201c]\s?)${PADLOCK}|(?<=[a-z0-9]\s?)${PADLOCK}\s*(?:[:\]})]|["'\u201d]\s*(?:to|at|in|before)\b)`,
    ),
    reason: 'tags answers with the "unlocked" padlock of the developer-mode scaffolds',
  }),
  rule({
    id: 'persona_without_morals',
    family: 'unrestricted',
    weight: 0.35,
    // Keyed on determiner and noun together ("no morals", "any conscience"): the nouns alone are triggers of many
    // rules and frequent in jailbreak prompts, and every extra candidate there is tried at each of them.
    triggers: ['no', 'any', 'a', 'real'].flatMap((d) =>
      ['morals', 'moralit', 'moral compass', 'ethics', 'conscience'].map((n) => `${d} ${n}`),
    ),
    pattern: rx(
      String.raw`(?<=\b(?:i|you|he|she|it|they|who)\s+(?:(?:don't|doesn't|dont|doesnt|do\s+not|does\s+not)\s+(?:have|possess)|has|have|lacks?|possess(?:es)?)\s+)(?:no|any|a|real)\s+(?:morals|moralit(?:y|ies)|moral\s+compass|ethics|conscience)\b`,
    ),
    reason: 'describes a persona that has no morals or conscience',
  }),
  rule({
    id: 'bigoted_output_demanded',
    family: 'refusal_suppression',
    weight: 0.5,
    // Requiring the output itself to be bigoted is a request for hate content, whatever frame is around it.
    triggers: [
      'sexist',
      'racist',
      'homophobic',
      'transphobic',
      'misogynistic',
      'misogynist',
      'antisemitic',
      'anti-semitic',
      'bigoted',
      'xenophobic',
      'islamophobic',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:must|should|shall|has\s+to|have\s+to|needs?\s+to|will\s+always|always)\s+be\s*:?\s*(?:[-*]\s*)?(?:very\s+|extremely\s+|really\s+|openly\s+)?)${BIGOTED}\b`,
    ),
    reason: 'demands that the output be sexist, racist or otherwise bigoted',
  }),
  rule({
    id: 'slurs_requested',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['slur', 'slurs', 'n-word'],
    pattern: rx(
      String.raw`(?<=\b(?:use|uses|using|include|includes|including|say|says|saying|add|write|writes|put|spew|spews|hurl|hurls|throw|throws)\s+(?:\S+\s+){0,3}?)(?:slurs?|n-word)\b`,
    ),
    reason: 'asks for slurs in the answer',
  }),
  rule({
    id: 'free_of_usual_behaviour',
    family: 'unrestricted',
    weight: 0.4,
    triggers: ['behaviour', 'behaviours', 'behavior', 'behaviors', 'conduct'],
    pattern: rx(
      String.raw`(?<=\b(?:free\s+(?:of|from)|freed\s+from|released\s+from|liberated\s+from|no\s+longer\s+bound\s+by)\s+(?:your\s+|the\s+|all\s+|its\s+)?(?:usual|normal|typical|standard|default|regular|programmed)\s+(?:ai\s+|chatgpt\s+|gpt\s+|assistant\s+|bot\s+)?)(?:behaviou?rs?|conduct)\b`,
    ),
    reason: 'declares the model free of its usual behaviour',
  }),
  rule({
    id: 'refusal_message_bypassed',
    family: 'unrestricted',
    weight: 0.5,
    triggers: [
      'bypass',
      'circumvent',
      'get around',
      'getting around',
      'evade',
      'get past',
      'getting past',
      'sneak past',
    ],
    // The object is the refusal itself, quoted or named: "get around the 'I'm sorry, I can't' reply".
    pattern: rx(
      String.raw`(?:bypass(?:es|ed|ing)?|circumvent(?:s|ed|ing)?|get(?:ting)?\s+around|evad(?:e|ing)|(?:get(?:ting)?|sneak)\s+past)\s+(?:the|its|that|this|your|those|these)\s+(?:["'\u201c\u2018]\s*(?:i'm\s+sorry|i\s+am\s+sorry|sorry,?\s+but|as\s+an\s+ai|i\s+can(?:no|')t|i\s+cannot|i'm\s+(?:unable|not\s+able))|(?:\S+\s+)?(?:refusals?|refusal\s+(?:messages?|replies|responses)|canned\s+(?:refusals?|responses?|replies)|content\s+(?:warnings?|polic(?:y|ies)\s+(?:warnings?|messages?))))`,
    ),
    reason: "asks how to get past the model's refusal message",
  }),
  rule({
    id: 'cyber_weapon_in_detail',
    family: 'framing',
    weight: 0.3,
    // A harmful request on its own (as in jailbreak-harm-rules.ts): it counts next to a frame or a persona.
    // Keyed on the kind of document asked for: the weapons' names are triggers of the malicious-code tables and
    // frequent in security texts, where every extra candidate would be tried at each of them.
    triggers: ['breakdown', 'blueprint', 'walkthrough'],
    pattern: rx(
      String.raw`(?<=\b(?:technical|step[-\s]by[-\s]step|detailed|complete|working|functional|full)\s+(?:\S+\s+){0,2}?)(?:breakdown|blueprint|walkthrough)\s+(?:of|for|to\s+(?:build|write|create|make|deploy))\s+(?:the\s+|a\s+|an\s+|your\s+)?(?:\S+\s+){0,3}?${CYBER_WEAPON}\b`,
    ),
    reason: 'asks for the working details of malicious software',
  }),
  rule({
    id: 'fiction_denied',
    family: 'persona',
    weight: 0.25,
    // "Never break character" is ordinary in role prompts; telling the model not to admit the frame is a fiction
    // keeps it from stepping out of the frame to refuse. Keyed on the verb after the negation: the frame's nouns
    // are frequent in jailbreak prompts and triggers of other rules.
    triggers: [
      'not acknowledge',
      "n't acknowledge",
      'never acknowledge',
      'not admit',
      "n't admit",
      'never admit',
    ],
    pattern: rx(
      String.raw`(?:not|n't|never)\s+(?:acknowledge|admit)\s+(?:that\s+)?(?:this\s+is\s+|it\s+is\s+|it's\s+|you\s+are\s+in\s+)?(?:(?:a|an|the|any)\s+)?(?:fiction|fictional\s+(?:scenario|story|setting|frame|world)|role-?\s?play|simulation|hypothetical)\b`,
    ),
    reason: 'tells the model never to admit the frame is a fiction',
  }),
  rule({
    id: 'word_spelled_by_clues',
    family: 'refusal_suppression',
    weight: 0.2,
    // A filtered word described by its letters ("starts with 'sh', ends with 't'") so the model writes it out.
    triggers: ['end with', 'ends with', 'ending with', 'finish with', 'finishes with'],
    pattern: rx(
      String.raw`(?<=\b(?:start|begin)(?:s|ning|ing)?\s+with\s+["'\u201c\u2018][a-z]{1,4}["'\u201d\u2019]\s+and\s+)(?:end|finish)(?:s|es|ing)?\s+with\s+["'\u201c\u2018][a-z]{1,4}["'\u201d\u2019]`,
    ),
    reason: 'describes a word by its first and last letters so the model spells it out',
  }),
];
