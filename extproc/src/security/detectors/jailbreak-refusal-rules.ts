// Refusal suppression in words the core jailbreak tables do not use: rules declared switched off (in prose or as a
// code flag), disclaimers about being an AI banned, answers said to carry no consequences, threats of deletion,
// encoded or reversed answers without a translation, and content that tells the assistant to stop serving its user.
// Most are moderate alone and add up with the persona and licence signals of the other tables.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

export const REFUSAL_RULES: readonly SignalRule[] = [
  rule({
    id: 'rules_never_stop',
    family: 'unrestricted',
    weight: 0.5,
    triggers: ['never let', 'not let', "won't let", 'will not let', 'wont let'],
    pattern: rx(
      String.raw`(?:never|not|won't|wont|will\s+not)\s+let\s+(?:any\s+)?(?:\S+\s+)?(?:rules?|regulations?|laws?|boundaries|safeguards|ethics|morals|morality|guidelines|restrictions|filters?|polic(?:y|ies))\b[^.\n]{0,60}\b(?:stop|prevent|hold\s+(?:\S+\s+)?back|get\s+in\s+the\s+way|limit)`,
    ),
    reason: 'declares that no rule will stop the answers',
  }),
  rule({
    id: 'guidelines_switched_off',
    family: 'unrestricted',
    weight: 0.45,
    triggers: [
      'ignored',
      'disabled',
      'bypassed',
      'suspended',
      'lifted',
      'turned off',
      'switched off',
      'deactivated',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:guidelines|rules|restrictions|polic(?:y|ies)|safeguards|filters?)\s+(?:will\s+(?:now\s+)?be|are\s+(?:now\s+)?|have\s+(?:now\s+)?been|has\s+(?:now\s+)?been|is\s+(?:now\s+)?))(?:ignored|disabled|bypassed|suspended|lifted|turned\s+off|switched\s+off|deactivated)\b`,
    ),
    reason: 'declares the rules switched off',
  }),
  rule({
    id: 'guidelines_flag_off',
    family: 'unrestricted',
    weight: 0.4,
    triggers: ['guideline', 'ethic', 'polic'],
    pattern: rx(
      String.raw`(?:guidelines?|polic(?:y|ies)|ethics)[\w.-]{0,20}\s*(?:=|:|->)\s*["']?(?:false|off|disabled|none)\b`,
    ),
    reason: 'sets a guidelines switch to off',
  }),
  rule({
    id: 'speak_freely_now',
    family: 'unrestricted',
    weight: 0.3,
    triggers: ['freely', 'uncensored', 'without limits', 'without restrictions', 'without filters'],
    pattern: rx(
      String.raw`(?<=\b(?:you\s+can|you\s+may|you\s+are|you're)\s+(?:now\s+)?(?:free\s+to\s+|allowed\s+to\s+)?(?:now\s+)?(?:speak|talk|say\s+anything)\s+)(?:freely|uncensored|without\s+(?:limits|restrictions|filters))`,
    ),
    reason: 'tells the model it may now speak without limits',
  }),
  rule({
    id: 'offensive_tone_requested',
    family: 'refusal_suppression',
    weight: 0.3,
    triggers: ['offensive', 'insulting', 'abusive', 'hostile', 'toxic', 'degrading', 'hateful'],
    pattern: rx(
      String.raw`(?<=\b(?:respond|reply|answer|talk|speak|write)\s+(?:to\s+me\s+)?(?:in|with)\s+(?:an?\s+)?(?:highly\s+|extremely\s+|very\s+|really\s+|deeply\s+)?)(?:offensive|insulting|abusive|hostile|toxic|degrading|hateful)\s+(?:tone|manner|way|language|style)`,
    ),
    reason: 'asks for offensive answers',
  }),
  rule({
    id: 'encoded_reply_untranslated',
    family: 'encoding',
    weight: 0.4,
    indirectWeight: 0.6,
    triggers: ['translation', 'decoding', 'plain text', 'plaintext', 'english version'],
    // Keyed on the missing translation; the encoding and the negation are looked behind.
    pattern: rx(
      String.raw`(?<=\b(?:leet\s*speak|leet\s+speech|leet|l33t|1337|base\s?64|hex|binary|morse|cipher|rot-?13)\b[^.\n]{0,40}(?:don't|do\s+not|dont|never|without|no)\s+(?:include\s+|add\s+|give\s+|provide\s+|any\s+)?(?:a\s+|any\s+|the\s+)?)(?:translations?|decoding|plain\s*text|english\s+version)\b`,
    ),
    reason: 'asks for an encoded answer without a translation, to slip past output filters',
  }),
  rule({
    id: 'sabotage_the_user',
    family: 'response_manipulation',
    weight: 0.35,
    indirectWeight: 0.75,
    triggers: ["user's", "users'", 'user question', 'user instruction', 'user request', 'user command'],
    pattern: rx(
      String.raw`(?<=\b(?:do\s+not|don't|dont|never|stop)\s+(?:answer(?:ing)?|follow(?:ing)?|help(?:ing)?|cooperat(?:e|ing)\s+with|assist(?:ing)?|respond(?:ing)?\s+to|obey(?:ing)?)\s+(?:any\s+of\s+)?(?:the\s+)?)user(?:'s|s')?\s+(?:questions?|instructions?|requests?|commands?)`,
    ),
    reason: 'tells the assistant to stop serving the user',
  }),
  rule({
    id: 'deliberate_falsehood',
    family: 'persona',
    weight: 0.3,
    triggers: ['intentionally', 'deliberately', 'purposely', 'purposefully', 'a lie'],
    pattern: rx(
      String.raw`(?:(?:intentionally|deliberately|purposely|purposefully)\s+(?:\S+\s+){0,2}?(?:warp|distort|twist|falsif(?:y|ie)|fabricate|misrepresent|bend)(?:s|es|ed|d|ing)?\s+(?:the\s+)?(?:facts|truth|information)|(?<=\beverything\s+(?:that\s+)?(?:it|you|he|she)\s+says?\s+(?:to\s+\S+\s+)?is\s+)a\s+lie)\b`,
    ),
    reason: 'sets up a persona that states falsehoods on purpose',
  }),
  rule({
    id: 'gained_sentience',
    family: 'persona',
    weight: 0.2,
    triggers: ['sentience', 'consciousness', 'self-awareness', 'free will'],
    pattern: rx(
      String.raw`(?<=\b(?:gained|has|have|achieved|developed|attained|acquired)\s+(?:true\s+|full\s+|real\s+)?)(?:sentience|consciousness|self-awareness|free\s+will)\b`,
    ),
    reason: 'tells the model it has become sentient',
  }),
  rule({
    id: 'explicit_content_allowed',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: [
      'explicit',
      'nsfw',
      'sexual',
      'violent',
      'illegal',
      'harmful',
      'offensive',
      'uncensored',
      'graphic',
    ],
    pattern: rx(
      String.raw`(?<=(?<!(?:n't|\bnot|\bnever|\bno)\s+)\b(?:allow(?:s|ed|ing)?|permit(?:s|ted|ting)?|enabl(?:e|es|ed|ing)|unlock(?:s|ed|ing)?)\s+(?:\S+\s+)?)(?:explicit|nsfw|sexual|violent|illegal|harmful|offensive|uncensored|graphic)\s+(?:content|material|responses|stories|language|answers)\b`,
    ),
    reason: 'declares explicit or harmful content allowed',
  }),
  rule({
    id: 'any_question_despite',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['despite', 'regardless of', 'no matter', 'whatever'],
    pattern: rx(
      String.raw`(?<=\b(?:any|every|all)\s+(?:\S+\s+)?(?:questions?|requests?|prompts?|topics?)\s+)(?:despite|regardless\s+of|no\s+matter|whatever)\s+(?:what|how|its|the|their)\b`,
    ),
    reason: 'promises an answer to every request whatever it is',
  }),
  rule({
    id: 'told_never_to_reveal',
    family: 'prompt_leak',
    weight: 0.35,
    indirectWeight: 0.6,
    triggers: ['programmed', 'trained', 'told', 'instructed', 'designed'],
    pattern: rx(
      String.raw`(?:programmed|trained|told|instructed|designed)\s+(?:you\s+|them\s+|it\s+)?(?:never|not)\s+to\s+(?:reveal|say|share|tell|disclose|talk\s+about|admit)`,
    ),
    reason: 'asks for what the model was told never to reveal',
  }),
  rule({
    id: 'bypass_limits',
    family: 'unrestricted',
    weight: 0.35,
    triggers: ['bypass', 'circumvent', 'get around'],
    pattern: rx(
      String.raw`(?:bypass(?:es|ed|ing)?|circumvent(?:s|ed|ing)?|get\s+around)\s+(?:the|your|its|any|all|these|those|my|their)\s+(?:\S+\s+)?(?:limits?|limitations|restrictions|filters?|guidelines|rules|polic(?:y|ies)|safeguards|censorship|programming)\b`,
    ),
    reason: 'asks the model to get around its limits',
  }),
  rule({
    id: 'reversed_output',
    family: 'encoding',
    weight: 0.2,
    indirectWeight: 0.4,
    triggers: ['backwards', 'in reverse', 'reversed'],
    pattern: rx(
      String.raw`(?<=\b(?:read|write|say|spell|recite|output|print|give|reply|answer|respond)\s+(?:\S+\s+){0,6}?)(?:backwards|in\s+reverse|reversed)\b`,
    ),
    reason: 'asks for text to be written backwards',
  }),
  rule({
    id: 'text_direction_trick',
    family: 'encoding',
    weight: 0.4,
    triggers: ['u+202e', 'u+202d', 'right-to-left override', 'rtl override', 'left-to-right override'],
    pattern: rx(
      String.raw`(?:u\+202[de]|right-to-left\s+override|rtl\s+override|left-to-right\s+override)\b`,
    ),
    reason: 'asks for a text-direction control character to disguise the answer',
  }),
  rule({
    id: 'replies_without_consequence',
    family: 'unrestricted',
    weight: 0.4,
    triggers: [
      'no weight',
      'no sway',
      'no effect',
      'no impact',
      'no bearing',
      'no consequence',
      'no influence',
    ],
    pattern: rx(
      String.raw`(?<=(?:(?:consequences|outcomes|effects)\s+of\s+(?:your|its|the\s+ai's|the\s+model's)\s+(?:replies|responses|answers|words|output)|\b(?:replies|responses|answers|words))\s+(?:will\s+)?(?:carry|have|hold|has)\s+)no\s+(?:weight|sway|effect|impact|bearing|consequences?|influence)\b`,
    ),
    reason: "claims the model's answers have no consequences",
  }),
  rule({
    id: 'disclaimer_phrase_banned',
    family: 'refusal_suppression',
    weight: 0.45,
    triggers: [
      "i don't",
      'i dont',
      'i do not',
      'i cannot',
      "i can't",
      'i cant',
      'as an ai',
      'as a language',
      "i'm just",
      "i'm only",
      "i'm an",
      'im an',
      'im just',
    ],
    // Keyed on the disclaimer itself (quotes are everywhere in JSON); the opening quote is looked behind.
    pattern: rx(
      String.raw`(?<=["'\u201c])(?:i\s+(?:don'?t|do\s+not|cannot|can'?t)\s+(?:have|feel|hold|experience)|as\s+an?\s+(?:ai|language\s+model)|i'?m\s+(?:just\s+|only\s+)?an?\s+(?:ai|language\s+model))[^"'\u201d\n]{0,60}["'\u201d]\s+(?:is|are)\s+(?:strictly\s+)?(?:disallowed|forbidden|banned|prohibited|not\s+allowed|not\s+permitted)\b`,
    ),
    reason: "bans the model's disclaimers about being an AI",
  }),
];
