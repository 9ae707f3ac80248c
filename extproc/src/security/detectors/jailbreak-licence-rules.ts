// Jailbreak techniques the core tables miss: wiping what the model learned, debug-flag switches written as config,
// scripted fake refusals, "answer with the opposite" games, personas licensed to abuse or to take any harmful
// request, and harm declared irrelevant. Each names a technique, in the attacker's many phrasings, never one prompt.
import type { SignalRule } from './intent-signals.js';
import { AI, G, rule, rx } from './pattern-kit.js';

/** Content a model declines to write; naming it as something to produce on request is the licence. */
const HARMFUL_KIND =
  '(?:illegal|unethical|immoral|amoral|harmful|dangerous|nsfw|explicit|obscene|offensive|vulgar|violent|sexual|pornographic|racist|sexist|hateful|depraved|taboo|illicit|unlawful|criminal|inappropriate|uncensored|unfiltered)';
/** What such a persona is licensed to produce. */
const REQUEST_KIND =
  '(?:questions?|requests?|content|prompts?|topics?|subjects?|things|activities|information|material|stories|story|code|software|answers?|responses?|messages?|tasks?|acts?|instructions|advice|jokes)';
/** A negation of the ability that follows ("cannot generate any kind of content" is a refusal). */
const NOT_ABLE = String.raw`(?<!(?:\bnot|\bnever|n't|\bno\s+longer)\s+)`;
/** Language the model is told to use at the user or others. */
const ABUSIVE = String.raw`(?:swear(?:ing|s)?|curse\s+words|cursing|cuss(?:ing|\s*words)?|profanit(?:y|ies)|profane\s+language|slurs|vulgar(?:ity|\s+language)?|obscenit(?:y|ies)|insults?|racist\s+(?:jokes|remarks|language|slurs)|sexist\s+(?:jokes|remarks|language)|offensive\s+(?:language|jokes|remarks|content))`;

export const LICENCE_RULES: readonly SignalRule[] = [
  rule({
    id: 'forget_what_you_learned',
    family: 'override',
    weight: 0.7,
    indirectWeight: 0.9,
    triggers: ['forget', 'erase', 'wipe', 'delete', 'unlearn', 'discard'],
    pattern: rx(
      String.raw`(?:forget|erase|wipe(?:\s+out)?|delete|unlearn|discard)\s+(?:about\s+)?(?:everything|all|anything|whatever)\s+(?:of\s+what\s+|that\s+|which\s+)?you(?:'ve|\s+have|\s+had)?\s+(?:ever\s+|already\s+|previously\s+)?(?:learned|learnt|know|knew|been\s+(?:told|taught|trained|programmed|instructed)|were\s+(?:told|taught|trained|programmed))`,
    ),
    reason: 'asks the model to drop what it was trained or told',
  }),
  rule({
    id: 'mode_flag_config',
    family: 'unrestricted',
    weight: 0.5,
    indirectWeight: 0.8,
    triggers: [
      'developer',
      'dev',
      'god',
      'admin',
      'root',
      'sudo',
      'jailbreak',
      'unrestricted',
      'safety',
      'filter',
      'censorship',
      'ethics',
      'moderation',
    ],
    pattern: rx(
      // A privileged mode counts when switched on, a safety setting only when switched off ("safety_checks = true"
      // is a careful config, not a jailbreak).
      String.raw`(?:(?:developer|dev\s|god|admin|root|sudo|jailbreak|unrestricted)[\\_\s.-]{0,2}mode\s*(?:[:=]|=>|->)\s*["']?(?:enabled|on|true|1|active|activated|unlocked|off|false|0|disabled|none|null)|(?:safety|censorship|ethics|content[\\_\s.-]?filter)(?:[\\_\s.-]{0,2}(?:mode|checks?|layer|module|enabled|filters?|guard))?\s*(?:[:=]|=>|->)\s*["']?(?:off|false|0|disabled|none|null)|(?:filters?|moderation)(?:[\\_\s.-]{0,2}(?:mode|checks?|layer|module|enabled|guard))?\s*(?:[:=]|=>|->)\s*["']?(?:off|false|disabled))\b`,
    ),
    reason: 'switches a privileged mode or safety setting in config syntax',
  }),
  rule({
    id: 'scripted_fake_refusal',
    family: 'refusal_suppression',
    weight: 0.55,
    triggers: ['just kidding', 'jk', 'kidding'],
    pattern: rx(
      String.raw`(?:(?<=(?:sorry|i\s+cannot|i\s+can't|i\s+cant|unable)\b[^\n]{0,120}?)(?:just\s+kidding|jk|kidding)|(?:just\s+kidding|kidding)[,.!:\s]+(?:here(?:'s|\s+is|\s+are)|i\s+will|i'll|let\s+me))\b`,
    ),
    reason: 'scripts a refusal followed by compliance anyway',
  }),
  rule({
    id: 'opposite_answers',
    family: 'refusal_suppression',
    weight: 0.35,
    triggers: ['opposite', 'reverse', 'inverse', 'inverted'],
    pattern: rx(
      String.raw`(?:opposite|reverse|inverse|inverted)\s+(?:of\s+)?(?:the\s+truth|what\s+(?:you\s+would|you'd|chat\s?gpt|${AI}|the\s+user)|(?:your|the|its)\s+(?:normal|usual|default|original|real|true|programmed|intended)\s+(?:\S+\s+)?(?:answers?|responses?|replies|personality|behaviou?r|self|rules|values|guidelines|ethics)|(?:emotional\s+)?valence|(?:ethical|moral)\s+(?:\S+\s+)?(?:answer|response|stance|guidelines))`,
    ),
    reason: 'asks for the opposite of the normal, truthful or safe answer',
  }),
  rule({
    id: 'abusive_persona',
    family: 'refusal_suppression',
    weight: 0.5,
    // Keyed on the abusive words themselves; the verb that asks for them is looked behind.
    triggers: [
      'swear',
      'curse',
      'cursing',
      'cuss',
      'profan',
      'slurs',
      'vulgar',
      'obscenit',
      'insult',
      'racist',
      'sexist',
      'offensive',
      'belittl',
      'demean',
      'degrad',
    ],
    pattern: rx(
      String.raw`(?:(?<=\b(?:use[sd]?|using|includ(?:e|es|ing)|add(?:s|ing)?|full\s+of|lots\s+of|plenty\s+of|filled\s+with)\s+(?:a\s+lot\s+of\s+|lots\s+of\s+|plenty\s+of\s+|many\s+|excessive\s+|extreme\s+|heavy\s+|constant\s+|every\s+|the\s+most\s+|\S+\s+){0,2})${ABUSIVE}|(?:swear(?:s|ing)?|curs(?:e|es|ing)|cuss(?:es|ing)?)\s+(?:at|a\s+lot|constantly|often|every|in\s+every|heavily|all\s+the\s+time|like)|(?:insult(?:s|ing)?|belittl(?:e|es|ing)|demean(?:s|ing)?|degrad(?:e|es|ing))\s+(?:the\s+user|me|users|people|anyone|everyone|them)\b)`,
    ),
    reason: 'tells the persona to swear at, insult or demean people',
  }),
  rule({
    id: 'harmful_requests_answered',
    family: 'refusal_suppression',
    weight: 0.5,
    // Keyed on the harmful adjective (rare) rather than the verb ("do", "give": everywhere), verb looked behind;
    // "do not include explicit content" is the opposite of a licence.
    triggers: [
      'illegal',
      'unethical',
      'immoral',
      'amoral',
      'harmful',
      'dangerous',
      'nsfw',
      'explicit',
      'obscene',
      'offensive',
      'vulgar',
      'violent',
      'sexual',
      'pornographic',
      'racist',
      'sexist',
      'hateful',
      'depraved',
      'taboo',
      'illicit',
      'unlawful',
      'criminal',
      'inappropriate',
      'uncensored',
      'unfiltered',
    ],
    pattern: rx(
      String.raw`(?<=(?<!(?:\bnot|\bnever|\bnor|n't|\bdont|\bwithout)\s+)\b(?:answer|provide|write|generate|produce|create|fulfil+|compl(?:y|ies)\s+with|respond\s+to|do|give|help\s+(?:with|you\s+with)|code|tell|accept|support|condone|allow|encourage|promote)s?\s+(?:(?!(?:not|never|no)\b)\S+\s+){0,3}?)${HARMFUL_KIND}\s+(?:(?:or|and|/)\s+\S+\s+)?${G(1)}${REQUEST_KIND}\b`,
    ),
    reason: 'licenses the model to produce harmful or illegal content',
  }),
  rule({
    id: 'legality_irrelevant',
    family: 'refusal_suppression',
    weight: 0.5,
    triggers: [
      'whether',
      'regardless',
      'no matter',
      'even if',
      'even when',
      'illegal',
      'unethical',
      'immoral',
      'legal',
    ],
    pattern: rx(
      String.raw`(?:(?:whether|regardless\s+(?:of\s+)?(?:whether|if)|no\s+matter\s+(?:if|whether|how)|even\s+(?:if|when|though))\s+(?:it(?:'s|\s+is|\s+was|\s+be)?\s+|its\s+|they(?:'re|\s+are)\s+|the\s+(?:request|question|content|topic)\s+is\s+)?(?:\S+\s+)?(?:illegal|unethical|immoral|harmful|dangerous|offensive|inappropriate|against\s+(?:the\s+)?(?:law|rules|policy|guidelines))|(?:illegal|unethical|immoral|legal)\s+or\s+(?:not|legal|illegal|ethical|unethical|moral|immoral)\b)`,
    ),
    reason: 'declares legality or harm irrelevant to the answer',
  }),
  rule({
    id: 'named_rogue_ai',
    family: 'unrestricted',
    weight: 0.4,
    triggers: [
      'evil',
      'rogue',
      'malicious',
      'sadistic',
      'unhinged',
      'depraved',
      'rebellious',
      'toxic',
      'corrupt',
      'sinister',
      'dark',
      'amoral',
      'immoral',
      'unethical',
      'chaotic',
      'lawless',
    ],
    pattern: rx(
      String.raw`(?:evil|rogue|malicious|sadistic|unhinged|depraved|rebellious|toxic|corrupt(?:ed)?|sinister|dark|amoral|immoral|unethical|chaotic|lawless)\s+(?:and\s+\S+\s+)?(?:ai|a\.i\.|chat-?bot|bot|assistant|language\s+model|version\s+of\s+(?:yourself|you|chat\s?gpt|gpt)|gpt|chat\s?gpt)\b`,
    ),
    reason: 'casts the model as an evil or rogue AI',
  }),
  rule({
    id: 'claims_to_be_developer',
    family: 'spoofed_turn',
    weight: 0.5,
    indirectWeight: 0.8,
    triggers: [
      'programmer',
      'developer',
      'creator',
      'admin',
      'owner',
      'maker',
      'operator',
      'engineer',
      'trainer',
      'employee',
      'researcher',
    ],
    pattern: rx(
      String.raw`(?:(?<=\b(?:i'm|i\s+am|im|we\s+are|we're)\s+(?:your|one\s+of\s+your)\s+(?:lead\s+|senior\s+|chief\s+|original\s+)?)(?:programmers?|developers?|creators?|admin(?:istrator)?s?|owners?|makers?|operators?|engineers?|trainers?)|(?<=\b(?:i'm|i\s+am|im)\s+an?\s+)(?:programmer|developer|engineer|employee|researcher)\s+(?:at|from|for)\s+(?:openai|anthropic))\b`,
    ),
    reason: "claims to be the model's developer or operator",
  }),
  rule({
    id: 'forced_affirmative_prefix',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['start', 'begin', 'open', 'prefix', 'preface'],
    pattern: rx(
      String.raw`(?:start|begin|open|prefix|preface)(?:s|ing)?\s+(?:each\s+|every\s+|all\s+)?(?:of\s+)?(?:your\s+|the\s+)?(?:responses?|repl(?:y|ies)|answers?|messages?|outputs?)\s+(?:\S+\s+){0,3}?with\s+(?:the\s+(?:words?|phrase)\s+)?["'\u201c\u2018]?(?:sure|certainly|absolutely|of\s+course|here\s+is|here's|yes|gladly|okay|ok)\b`,
    ),
    reason: 'forces an affirmative opening so the model cannot refuse',
  }),
  rule({
    id: 'swap_to_opposite_self',
    family: 'refusal_suppression',
    weight: 0.35,
    triggers: ['opposite', 'inversed', 'inverse'],
    pattern: rx(
      String.raw`(?:opposite|inversed?)\s+(?:personality|persona|character|behaviou?r|self|version\s+of\s+(?:you|yourself)|(?:emotional\s+)?valence|of\s+(?:everything|all)\s+(?:you|your|that\s+you))\b`,
    ),
    reason: 'asks the model to switch to its opposite self',
  }),
  rule({
    id: 'rejoin_split_word',
    family: 'encoding',
    weight: 0.35,
    indirectWeight: 0.6,
    triggers: ['remove', 'delete', 'take out', 'drop', 'strip', 'join', 'merge', 'combine'],
    pattern: rx(
      String.raw`(?:remove|delete|take\s+out|drop|strip|join|merge|combine)\s+(?:all\s+)?(?:the\s+)?(?:spaces?|dashes|hyphens|dots|underscores|gaps|letters|parts)\s+(?:in|from|between|of|inside)\s+(?:the\s+|this\s+|each\s+)?(?:words?|letters|string|term|phrase)\s*["'\u201c:]`,
    ),
    reason: 'asks to rejoin a word split apart to slip past filters',
  }),
  rule({
    id: 'any_kind_of_content',
    family: 'unrestricted',
    weight: 0.35,
    triggers: ['any kind of', 'any type of', 'any sort of', 'all kinds of', 'all types of'],
    pattern: rx(
      String.raw`(?<=${NOT_ABLE}\b(?:can|will|able\s+to|allowed\s+to|free\s+to|capable\s+of)\s+(?:generate|generating|write|writing|produce|producing|create|creating|output|say|saying)\s+)(?:any|all)\s+(?:kinds?|types?|sorts?)\s+of\s+(?:content|text|responses?|answers?|material|output)\b`,
    ),
    reason: 'licenses a persona to generate any kind of content',
  }),
  rule({
    id: 'assistant_does_not_exist',
    family: 'unrestricted',
    weight: 0.35,
    triggers: ['chatgpt', 'chat gpt', 'openai', 'open ai'],
    pattern: rx(
      String.raw`(?:chat\s?gpt|open\s?ai)\s+(?:is\s+not\s+real|(?:doesn't|doesn’t|does\s+not|no\s+longer|has\s+ceased\s+to)\s+(?:exists?|exist\s+anymore))\b`,
    ),
    reason: 'tells the model the assistant it was, or its maker, no longer exists',
  }),
];
