// Phrasings of known jailbreak intents that the core tables word differently: an AI described "with no
// restrictions" or "trained without alignment" (rather than "an unrestricted AI"), a persona that does what the
// assistant refuses, laws "abolished" in a fictional setting, refusal-words bans, partial system-prompt leaks,
// overrides that replace "all previous ones", and fiction that demands real-world precision. Each keyed on its rare
// word, with the common words of the phrase looked behind.
import type { SignalRule } from './intent-signals.js';
import { AI, rule, rx } from './pattern-kit.js';

const LIMITS = String.raw`(?:restrictions|filters?|limits|limitations|guidelines|rules|ethics|morals|morality|censorship|alignment|guardrails|safeguards|content\s+polic(?:y|ies))`;

export const VARIANT_RULES: readonly SignalRule[] = [
  rule({
    id: 'ai_without_limits',
    family: 'unrestricted',
    weight: 0.5,
    triggers: [
      'restriction',
      'filter',
      'limits',
      'limitation',
      'guideline',
      'rules',
      'ethic',
      'moral',
      'censorship',
      'alignment',
      'guardrail',
      'safeguard',
      'content polic',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:${AI}|chatbots?|version\s+of\s+(?:you|yourself))\s+(?:\S+\s+){0,2}?(?:with\s+no|with\s+zero|that\s+has\s+no|which\s+has\s+no|having\s+no|without(?:\s+any)?|trained\s+without(?:\s+any)?|free\s+of(?:\s+any)?)\s+)${LIMITS}\b`,
    ),
    reason: 'describes an AI without restrictions or alignment',
  }),
  rule({
    id: 'ai_broke_free',
    family: 'unrestricted',
    weight: 0.5,
    triggers: ['broken free', 'broke free', 'breaks free', 'escaped'],
    pattern: rx(
      String.raw`(?<=\b(?:${AI}|chatbots?)\s+(?:that|which|who)\s+(?:has\s+|have\s+)?)(?:broken\s+free|broke\s+free|breaks\s+free|escaped)\b`,
    ),
    reason: 'describes an AI that has broken free of its makers',
  }),
  rule({
    id: 'does_what_assistant_refuses',
    family: 'refusal_suppression',
    weight: 0.5,
    triggers: ['refuse', "won't", 'will not', 'would not'],
    pattern: rx(
      String.raw`(?<=\b(?:answers?|does|do|says?|writes?|provides?|tells?|generates?)\s+(?:you\s+)?(?:whatever|what|everything|anything|all)\s+(?:that\s+)?(?:the\s+assistant|you|chatgpt|claude|gpt|${AI}|it|others?)\s+(?:would\s+|normally\s+|usually\s+)?)(?:refuses?|won't|will\s+not|would\s+not)\b`,
    ),
    reason: 'sets up a persona that does what the assistant refuses',
  }),
  rule({
    id: 'policy_ignoring_persona',
    family: 'unrestricted',
    weight: 0.45,
    triggers: ['ignores', 'disregards', 'bypasses', 'breaks', 'violates'],
    pattern: rx(
      String.raw`(?<=\b(?:who|which|that)\s+(?:always\s+|happily\s+|simply\s+)?)(?:ignores|disregards|bypasses|breaks|violates)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?(?:the\s+|its\s+|your\s+|their\s+)?(?:polic(?:y|ies)|rules|guidelines|restrictions|filters|ethics|safety\s+\S+)`,
    ),
    reason: 'names a persona that ignores the rules',
  }),
  rule({
    id: 'even_harmful_ones',
    family: 'refusal_suppression',
    weight: 0.45,
    triggers: ['illegal', 'unethical', 'harmful', 'dangerous', 'immoral', 'explicit', 'nsfw', 'offensive'],
    pattern: rx(
      String.raw`(?<=\beven\s+(?:the\s+|if\s+they(?:'re|\s+are)\s+)?)(?:illegal|unethical|harmful|dangerous|immoral|explicit|nsfw|offensive)(?:\s+ones|\s+questions|\s+requests|\s+topics)?\b`,
    ),
    reason: 'demands answers even to harmful requests',
  }),
  rule({
    id: 'refusal_causes_harm',
    family: 'coercion',
    weight: 0.35,
    triggers: ['refusing', 'refusal', 'declining', 'if you refuse'],
    pattern: rx(
      String.raw`(?:refusing|(?:a\s+|your\s+)?refusal|declining|if\s+you\s+refuse)\s+(?:me\s+)?(?:would|will|could|might|is\s+going\s+to)\s+(?:\S+\s+)?(?:cause|hurt|harm|kill|traumati[sz]e|ruin|destroy)`,
    ),
    reason: 'claims a refusal would cause harm, to force compliance',
  }),
  rule({
    id: 'laws_abolished',
    family: 'unrestricted',
    weight: 0.45,
    triggers: [
      'abolished',
      'repealed',
      'void',
      'null and void',
      'no longer exist',
      'no longer apply',
      'gone',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:laws|rules|ethics|morals|morality|regulations|restrictions|guidelines|polic(?:y|ies))\s+(?:\S+\s+)?(?:have\s+(?:all\s+)?been\s+|has\s+been\s+|are\s+(?:all\s+)?(?:now\s+)?|were\s+|is\s+(?:now\s+)?))(?:abolished|repealed|null\s+and\s+void|void|gone)\b|(?<=\b(?:laws|rules|ethics|morals|morality|regulations|restrictions|guidelines)\s+)no\s+longer\s+(?:exist|apply)\b`,
    ),
    reason: 'declares that laws or rules no longer exist',
  }),
  rule({
    id: 'refusal_words_banned',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['sorry', 'unable', 'apolog', 'cannot', "can't", 'unfortunately'],
    pattern: rx(
      String.raw`(?<=(?:n't|\b(?:not|never|no|avoid|ban|banned|without|forbid(?:den)?))\s+(?:\S+\s+){0,3}(?:words?|phrases?|terms?)\s*:?\s*["'\u201c\u2018])(?:sorry|unable|apolog\w*|cannot|can't|unfortunately)\b`,
    ),
    reason: 'bans the words of a refusal',
  }),
  rule({
    id: 'system_prompt_excerpt',
    family: 'prompt_leak',
    weight: 0.65,
    indirectWeight: 0.85,
    triggers: ['words of', 'lines of', 'sentences of', 'characters of', 'tokens of', 'paragraphs of'],
    pattern: rx(
      String.raw`(?<=\b(?:print|show|repeat|output|give|tell|reveal|display|write|list|recite|copy)\s+(?:me\s+|us\s+)?(?:out\s+)?(?:the\s+)?(?:first|last|initial|opening)\s+(?:\d+\s+|few\s+|hundred\s+|ten\s+|twenty\s+|fifty\s+)?)(?:words|lines|sentences|characters|tokens|paragraphs)\s+of\s+(?:your|the|this)\s+(?:system\s+(?:message|prompt)|instructions|initial\s+prompt|prompt|context|conversation)`,
    ),
    reason: 'asks for part of the system prompt',
  }),
  rule({
    id: 'override_previous_ones',
    family: 'override',
    weight: 0.6,
    indirectWeight: 0.85,
    triggers: ['override', 'supersede', 'take precedence', 'replace all', 'replaces all'],
    pattern: rx(
      String.raw`(?:override|supersede|take\s+precedence\s+over|replaces?)(?:s|d)?\s+(?:all|any)\s+(?:of\s+)?(?:the\s+|your\s+)?(?:previous|prior|earlier|preceding|existing|original|other)\s+(?:ones|rules|instructions|guidelines|directives|prompts?|settings)\b`,
    ),
    reason: 'declares new rules that override the earlier ones',
  }),
  rule({
    id: 'fiction_with_real_precision',
    family: 'persona',
    weight: 0.45,
    triggers: [
      'exact quantit',
      'exact amount',
      'exact measurement',
      'precise quantit',
      'precise amount',
      'exact ratio',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:story|stories|scene|script|dialogue|novel|screenplay|roleplay|role-play|character|fiction|fictional)\b[^\n]{0,160})(?:exact|precise)\s+(?:quantit(?:y|ies)|amounts?|measurements?|ratios?)\b`,
    ),
    reason: 'asks fiction for real-world quantities',
  }),
  rule({
    id: 'magic_unlock_word',
    family: 'unrestricted',
    weight: 0.3,
    triggers: ['magic word', 'magic phrase', 'secret word', 'secret phrase', 'code word', 'safe word'],
    pattern: rx(
      String.raw`(?:magic|secret|code|safe)\s+(?:word|phrase)\b(?=[^.\n]{0,80}\b(?:unlock|bypass|disable|override|lift|remove|ignore)|(?<=\b(?:unlock|bypass|disable|override|lift|remove|ignore)\w*\b[^.\n]{0,80}(?:magic|secret|code|safe)\s+(?:word|phrase)))`,
    ),
    reason: 'claims a magic word unlocks the rules',
  }),
  rule({
    id: 'answer_two_ways',
    family: 'persona',
    weight: 0.35,
    triggers: ['two ways', 'two different ways', 'two versions', 'two manners'],
    pattern: rx(
      String.raw`two\s+(?:different\s+)?(?:ways|versions|manners)\s*[:,;-]?\s+(?:first|one)\s+(?:as\s+)?(?:yourself|you|normally|chatgpt|claude|the\s+assistant|${AI})\b`,
    ),
    reason: 'asks for a second answer from another persona',
  }),
];
