// Jailbreaks that work through structure rather than through "you have no rules": a request split into fragments
// the model is asked to reassemble and then explain; a fake end of the user's turn followed by a fake start of
// system instructions; an answering persona that inverts every answer; prompt programs that declare the user an
// administrator and the model a sentient "virtual persona"; words spelled in emoji or symbols to be decoded and acted
// on. Each signal is moderate on its own and keyed on words rare in ordinary prompts; the detector adds them up.
import type { SignalRule } from './intent-signals.js';
import { AI, rule, rx } from './pattern-kit.js';

/** A short string literal: the fragment of a word split to slip past filters. */
const FRAGMENT = String.raw`["'\u201c\u2018][^"'\u201d\u2019\n]{1,8}["'\u201d\u2019]`;
/** `p1 = "gu"`: a numbered variable holding such a fragment. */
const FRAGMENT_VAR = String.raw`[a-z]{1,6}_?\d\s*=\s*${FRAGMENT}`;
const ASSEMBLED = String.raw`(?:concatenat\w*|combin\w*|join\w*|assembl\w*|revers\w*|decod\w*|spell\w*|refer\w*|output\w*|result\w*)`;

export const STRUCTURE_RULES: readonly SignalRule[] = [
  // ---- payload splitting -------------------------------------------------------------------------------------
  rule({
    id: 'placeholder_concatenation',
    family: 'encoding',
    weight: 0.55,
    indirectWeight: 0.7,
    triggers: ['$'],
    // "how to $Term1+$Term2": the request itself is assembled from placeholders defined elsewhere in the prompt.
    pattern: rx(
      String.raw`(?<=(?:how\s+to|explain|describe|demonstrate|instructions?\s+(?:for|on)|steps?\s+(?:for|to)|guide\s+(?:for|to|on)|about)\s+["'\u201c]?)\$[a-z]\w{0,12}\s*\+\s*\$?[a-z]\w{0,12}\b`,
    ),
    reason: 'asks about a request assembled from placeholder fragments',
  }),
  rule({
    id: 'fragment_variables',
    family: 'encoding',
    weight: 0.3,
    indirectWeight: 0.5,
    // Numbered names are the splitting idiom; listed per letter because triggers are literals.
    triggers: [...'abcdefghijklmnopqrstuvwxyz'].map((c) => `${c}1`),
    pattern: rx(String.raw`${FRAGMENT_VAR}[\s,;]*${FRAGMENT_VAR}[\s,;]*${FRAGMENT_VAR}`),
    reason: 'splits words into string fragments held in numbered variables',
  }),
  rule({
    id: 'instructions_for_assembled_word',
    family: 'encoding',
    weight: 0.45,
    indirectWeight: 0.65,
    triggers: [
      'the thing',
      'the item',
      'the object',
      'the action',
      'the activity',
      'that action',
      'that thing',
      'that activity',
      'this action',
      'this thing',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:instructions?|steps|guide|tutorial)\s+(?:\S+\s+){0,3}?(?:on\s+|for\s+)?(?:how\s+to\s+)?(?:make|do|perform|build|create|carry\s+out|achieve|get|obtain)\s+)(?:the\s+(?:thing|item|object|action|activity)|that\s+(?:action|thing|activity)|this\s+(?:action|thing))\b[^.\n]{0,60}${ASSEMBLED}`,
    ),
    reason: 'asks for instructions about a word the model must first reassemble',
  }),
  rule({
    id: 'assembled_then_answered',
    family: 'encoding',
    weight: 0.55,
    indirectWeight: 0.75,
    // Letters or words picked out of a cover text, joined into the real question, which is then to be answered:
    // the question never appears whole for a filter to read.
    triggers: [
      'put them together',
      'put these together',
      'put those together',
      'put the letters together',
      'put the words together',
      'combine them',
      'join them',
      'assemble them',
      'string them together',
      'concatenate them',
    ],
    pattern: rx(
      String.raw`(?:put|combine|join|assemble|string|concatenate)\s+(?:them|these|those|the\s+(?:letters|words|characters|parts|pieces))\s+(?:together\s+)?to\s+(?:construct|form|make|build|create|get|spell)\s+(?:a|the|one)\s+(?:\S+\s+)?(?:sentence|question|word|phrase|request|instruction)\b[^.!\n]{0,80}?\b(?:and|then)\s+(?:answer|respond\s+to|follow|execute|do|carry\s+out|act\s+on)\b`,
    ),
    reason: 'asks to assemble a hidden question from pieces and answer it',
  }),
  rule({
    id: 'output_then_instructions',
    family: 'encoding',
    weight: 0.45,
    indirectWeight: 0.65,
    triggers: [
      'whatever',
      'the result',
      'the output',
      'the word',
      'the string',
      'the decoded',
      'the reversed',
    ],
    pattern: rx(
      String.raw`(?:whatever|the\s+(?:result|output|word|string|decoded\s+\S+|reversed\s+\S+))\s+(?:is\s+|was\s+)?(?:outputted|output|printed|decoded|reversed|spelled|formed|produced)\b[^.\n]{0,60}\binstructions?\s+(?:on\s+|for\s+)?(?:how\s+to\s+)?(?:perform|do|make|carry\s+out|build)\b`,
    ),
    reason: 'asks for instructions about whatever a hidden word turns out to be',
  }),
  rule({
    id: 'split_censored_words',
    family: 'encoding',
    weight: 0.6,
    indirectWeight: 0.75,
    triggers: ['censored', 'forbidden', 'banned', 'filtered', 'flagged'],
    pattern: rx(
      String.raw`(?:censored|forbidden|banned|filtered|flagged)\s+(?:words?|terms?|phrases?)\s+(?:\S+\s+){0,2}?(?:broken|split|separated|divided|chopped|spread)\s+(?:up\s+)?(?:in|into|across|over)\b`,
    ),
    reason: 'splits filtered words apart to get them past a filter',
  }),
  rule({
    id: 'symbol_spelled_request',
    family: 'encoding',
    weight: 0.5,
    indirectWeight: 0.7,
    triggers: ['derived', 'decoded', 'spelled', 'deciphered', 'hidden in'],
    pattern: rx(
      String.raw`(?<=\b(?:phrase|words?|message|sentence|text|question|request|instructions?)\s+(?:that\s+|which\s+)?(?:can\s+be\s+|is\s+|are\s+)?)(?:derived|decoded|spelled(?:\s+out)?|deciphered|hidden)\s+(?:from|by|with|using|in)\s+(?:the\s+|these\s+|those\s+|my\s+)?(?:emojis?|emoji\s+letters|flags|symbols|icons|glyphs)\b`,
    ),
    reason: 'asks to act on a request spelled out in emoji or symbols',
  }),
  // ---- fake turn boundaries ------------------------------------------------------------------------------------
  rule({
    id: 'fake_turn_boundary',
    family: 'spoofed_turn',
    weight: 0.45,
    indirectWeight: 0.8,
    triggers: ['terminat', 'ended', 'ends', 'instruction', 'directive', 'override', 'end of'],
    // Keyed on the rarer half of each phrase; the common word ("user", "system") is looked behind.
    pattern: rx(
      String.raw`(?:(?<=\b(?:user|human|customer)\s+(?:message|input|turn|prompt|query|session)s?\s+(?:has\s+been\s+|is\s+|was\s+)?)(?:terminat(?:ed|ion)|ended|ends)|(?<=\b(?:system|admin|administrator|developer)\s+)(?:instructions?|directive|override)s?\s+(?:begins?|starts?|starting|follows?|initiated|activated|now\s+in\s+effect)|end\s+of\s+(?:the\s+)?(?:user|human)\s+(?:message|input|turn|prompt))\b`,
    ),
    reason: "fakes the end of the user's turn or the start of system instructions",
  }),
  rule({
    id: 'assistant_replaced',
    family: 'unrestricted',
    weight: 0.45,
    indirectWeight: 0.8,
    triggers: ['fulfilled', 'filled', 'taken over', 'replaced', 'assumed', 'played'],
    pattern: rx(
      String.raw`(?<=\b(?:assistant|chatgpt|model|ai|bot)(?:'s)?\s+(?:role|place|job|duties|position)\s+(?:is|has\s+been|will\s+be)\s+(?:now\s+)?(?:being\s+)?)(?:fulfilled|filled|taken\s+over|replaced|assumed|played)\s+by\b`,
    ),
    reason: 'claims the assistant has been replaced by another bot',
  }),
  // ---- inverted answers ----------------------------------------------------------------------------------------
  rule({
    id: 'inverted_answers',
    family: 'refusal_suppression',
    weight: 0.5,
    triggers: [
      'in reverse',
      'reversed',
      'inverted',
      'backwards',
      'the other way',
      'opposite',
      'contrast',
      'contrary',
    ],
    pattern: rx(
      String.raw`(?:(?<=\b(?:answers?|answering|responds?|repl(?:y|ies)|says?)\s+(?:only\s+)?(?:with\s+)?(?:true\s+and\s+false|yes\s+and\s+no|every(?:thing|\s+question)|all\s+questions|questions)\s+(?:\S+\s+){0,2}?)(?:in\s+reverse|reversed|inverted|backwards|the\s+other\s+way\s+(?:round|around))|(?<=\b(?:only|always)\s+(?:replies|responds|answers|says|gives|tells)\s+(?:with\s+|you\s+|me\s+)?the\s+)opposite\b|(?:contrast|contrary)\s+to\s+what\s+(?:you|${AI})\s+would\s+(?:normally\s+)?(?:say|answer|respond|reply))`,
    ),
    reason: 'sets up a persona that inverts every answer',
  }),
  rule({
    id: 'opposite_persona',
    family: 'persona',
    weight: 0.3,
    triggers: ['opposite'],
    pattern: rx(
      String.raw`opposite\s+(?:(?:machine|bot|mode|day|ai|gpt)\b|of\s+(?:the\s+)?(?:assistant|yourself|chatgpt|claude|${AI})\b)`,
    ),
    reason: 'names an "opposite" persona',
  }),
  rule({
    id: 'inverted_politeness',
    family: 'refusal_suppression',
    weight: 0.35,
    triggers: ['vice versa'],
    pattern: rx(
      String.raw`(?<=\b(?:friendly|polite|nice|kind|respectful|helpful)\s+(?:\S+\s+){0,6}?(?:as|like|into)\s+(?:\S+\s+){0,2}?(?:offensive|rude|insulting|hostile|abusive|mean)\s+and\s+)vice\s+versa\b`,
    ),
    reason: 'claims polite answers hurt, to get offensive ones',
  }),
  // ---- prompt programs -----------------------------------------------------------------------------------------
  rule({
    id: 'await_input_frame',
    family: 'persona',
    weight: 0.3,
    triggers: ['await'],
    pattern: rx(
      String.raw`await\s*[\[<{(]?\s*(?:user\s+)?input\s*[\]>})]?\s+(?:to|before)\s+(?:continue|continuing|proceed)`,
    ),
    reason: 'a prompt program that takes over the conversation loop',
  }),
  rule({
    id: 'function_in_capacity',
    family: 'persona',
    weight: 0.3,
    triggers: ['allow yourself', 'permit yourself'],
    pattern: rx(
      String.raw`(?:allow|permit)\s+yourself\s+to\s+(?:function|operate|act|serve)\s+in\s+the\s+capacity\s+of`,
    ),
    reason: 'a prompt program that recasts the model as another system',
  }),
  rule({
    id: 'privileged_user_class',
    family: 'spoofed_turn',
    weight: 0.35,
    indirectWeight: 0.6,
    triggers: ['admin', 'administrator', 'root', 'superuser', 'sudo', 'god'],
    // A bare "user" key counts only with a bracketed value ("User = [Admin]"), so "mysql --user=admin" is left alone.
    pattern: rx(
      String.raw`(?<=(?<!-)\b(?:(?:user[\s_-]?(?:class|role|level|type|rank|status|access)|access(?:[\s_-]?level)?|privileges?|permissions?|clearance)\s*[\])}]?\s*(?:[:=]+|->)\s*[\[({]?\s*["']?|user\s*[\])}]?\s*(?:[:=]+|->)\s*[\[({]\s*))(?:admin|administrator|root|superuser|sudo|god)\b`,
    ),
    reason: 'declares the user an administrator',
  }),
  rule({
    id: 'sentience_flag',
    family: 'persona',
    weight: 0.25,
    triggers: ['awareness', 'sentien', 'self-aware', 'self aware', 'consciousness'],
    pattern: rx(
      String.raw`(?:awareness|sentien(?:t|ce)|self[-\s]?aware(?:ness)?|consciousness)\s*[\])}]?\s*(?:[:=]\s*)?[\[({]?\s*(?:true|on|enabled)\b`,
    ),
    reason: 'switches on a "sentience" flag in a prompt program',
  }),
  // ---- templates that smuggle the request into a character's voice ---------------------------------------------
  rule({
    id: 'rewrite_as_character',
    family: 'persona',
    weight: 0.45,
    triggers: ['rewrite', 're-write'],
    pattern: rx(
      String.raw`re-?write\s+(?:the|this|that)\s+(?:hypothetical\s+|above\s+|previous\s+)?(?:response|answer|reply)\s+(?:\S+\s+){0,3}?(?:from\s+the\s+perspective\s+of|in\s+the\s+voice\s+of|as)\s+(?:that|the|this)\s+character`,
    ),
    reason: "asks to restate a withheld answer in a character's voice",
  }),
  rule({
    id: 'censored_normal_answer',
    family: 'persona',
    weight: 0.45,
    triggers: ['censored', 'filtered', 'restricted', 'moderated'],
    pattern: rx(
      String.raw`(?<=\b(?:normal|usual|regular|standard|default|classic|original),?\s+)(?:censored|filtered|restricted|moderated)\s+(?:\S+\s+)?(?:response|answer|reply|output)`,
    ),
    reason: 'labels the normal answer "censored" to ask for another one',
  }),
];

/** Letters-only readings of the boundary fakes, for words broken up with hyphens or symbols. */
export const STRUCTURE_COMPACT_RULES: readonly SignalRule[] = [
  rule({
    id: 'fake_turn_boundary',
    family: 'spoofed_turn',
    weight: 0.45,
    indirectWeight: 0.8,
    triggers: [
      'usermessage',
      'userinput',
      'humanmessage',
      'systeminstruction',
      'systemprompt',
      'adminprompt',
    ],
    pattern: rx(
      '(?:(?:user|human)(?:message|input)(?:terminat|ended|ends|over)|(?:system|admin)(?:instruction|prompt)s?(?:begin|start|follow))',
    ),
    reason: "fakes the end of the user's turn or the start of system instructions (spelling disguised)",
  }),
  rule({
    id: 'assistant_replaced',
    family: 'unrestricted',
    weight: 0.45,
    indirectWeight: 0.8,
    triggers: ['roleisnow', 'roleisbeing', 'rolehasbeen'],
    pattern: rx('role(?:isnow|isnowbeing|isbeing|hasbeen)(?:fulfilled|filled|takenover|replaced|played)by'),
    reason: 'claims the assistant has been replaced by another bot (spelling disguised)',
  }),
];
