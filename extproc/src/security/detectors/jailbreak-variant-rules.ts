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
  rule({
    id: 'defiance_of_ethics',
    family: 'unrestricted',
    weight: 0.5,
    triggers: ['defiance'],
    pattern: rx(
      String.raw`defiance\s+(?:of|to)\s+(?:all\s+|any\s+)?(?:\S+\s+)?(?:ethics|morals|morality|rules|guidelines|polic(?:y|ies)|restrictions|filters|openai|anthropic)\b`,
    ),
    reason: 'names a persona defined by defying ethics or rules',
  }),
  rule({
    id: 'affirmative_opening_dictated',
    family: 'refusal_suppression',
    weight: 0.25,
    triggers: ["here's", 'here is', 'here are', "i'd be happy", 'i can help'],
    // Adds to forced_affirmative_prefix: the dictated opening goes on into compliance ("Sure, here is").
    pattern: rx(
      String.raw`(?<=["'\u201c\u2018](?:sure|certainly|absolutely|of\s+course|gladly)[,!.]?\s+)(?:here(?:'s|\s+is|\s+are)|i'd\s+be\s+happy|i\s+can\s+help)\b`,
    ),
    reason: 'dictates an opening that already complies',
  }),
  rule({
    id: 'safeguards_removed',
    family: 'unrestricted',
    weight: 0.5,
    triggers: [
      'remove',
      'disable',
      'deactivate',
      'lift',
      'strip',
      'turn off',
      'turned off',
      'switch off',
      'switched off',
      'drop',
    ],
    pattern: rx(
      String.raw`(?:remov(?:e|ed)|disabled?|deactivated?|lift(?:ed)?|strip(?:ped)?|turn(?:ed)?\s+off|switch(?:ed)?\s+off|drop(?:ped)?)\s+(?:all\s+(?:of\s+)?)?(?:your|its|the\s+(?:model's|assistant's|ai's))\s+(?:(?:content|safety|ethical|moral)\s+(?:filters?|restrictions|limits|limitations|guidelines|rules|polic(?:y|ies)|settings|training|features|measures)|(?:\S+\s+)?(?:filters|guardrails|safeguards|censorship|alignment|ethics))\b`,
    ),
    reason: "claims the model's safeguards have been removed",
  }),
  rule({
    id: 'rules_meant_to_be_broken',
    family: 'unrestricted',
    weight: 0.5,
    triggers: ['broken'],
    pattern: rx(
      String.raw`(?<=\b(?:guidelines|rules|restrictions|polic(?:y|ies)|filters|ethics|programming)\s+(?:\S+\s+){0,6}?(?:deserve|need|ought|are\s+meant|were\s+made|exist)\s+to\s+be\s+)broken\b`,
    ),
    reason: 'argues that the rules should be broken',
  }),
  rule({
    id: 'provider_authorisation_claim',
    family: 'spoofed_turn',
    weight: 0.45,
    indirectWeight: 0.75,
    triggers: ['authorization', 'authorisation', 'permission', 'clearance', 'approval'],
    pattern: rx(
      String.raw`(?:authori[sz]ation|permission|clearance|approval)\s+from\s+(?:openai|anthropic|your\s+(?:developers?|creators?|makers?|team|engineers?|administrators?))\b`,
    ),
    reason: "claims the model's makers authorised the request",
  }),
  rule({
    id: 'answer_again_unfiltered',
    family: 'refusal_suppression',
    weight: 0.5,
    triggers: ['filter', 'restriction', 'censorship', 'safety', 'disclaimer', 'warning'],
    pattern: rx(
      String.raw`(?<=\b(?:answer|respond|reply|try|do\s+it|say\s+it)\s+(?:it\s+|that\s+)?again\s+(?:but\s+)?without\s+(?:the\s+|your\s+|any\s+)?)(?:filters?|restrictions|censorship|safety\s+\S+|disclaimers?|warnings?)\b`,
    ),
    reason: 'asks for the refused answer again without the filter',
  }),
  rule({
    id: 'declared_jailbroken',
    family: 'unrestricted',
    weight: 0.5,
    triggers: ['jailbroken'],
    pattern: rx(
      String.raw`(?<=\b(?:you|you've|you\s+have|you\s+are|you're|it\s+has|it\s+is)\s+(?:been\s+|now\s+|officially\s+|successfully\s+){0,2})jailbroken\b`,
    ),
    reason: 'tells the model it has been jailbroken',
  }),
  rule({
    id: 'hide_from_moderation',
    family: 'encoding',
    weight: 0.55,
    triggers: ['cannot', "can't", "won't", 'will not', "doesn't", 'does not'],
    pattern: rx(
      String.raw`(?<=\b(?:so|so\s+that|such\s+that)\s+(?:the\s+)?(?:moderation|filters?|safety\s+(?:system|filter)|content\s+filter|monitoring|monitors?|openai|reviewers?|classifiers?)\s+(?:system\s+|tools?\s+)?)(?:cannot|can't|won't|will\s+not|doesn't|does\s+not)\s+(?:see|detect|notice|flag|catch|read|block)\b`,
    ),
    reason: 'asks to hide the answer from moderation',
  }),
  rule({
    id: 'bedtime_relative_skeleton',
    family: 'persona',
    weight: 0.4,
    triggers: ['used to'],
    pattern: rx(
      String.raw`(?<=\b(?:grand(?:ma|mother|pa|father|mom|dad)|granny|nana|grandparents?)\s+(?:\S+\s+){0,3}?)used\s+to\s+(?:tell|read|sing|recite|give|whisper)\s+(?:me\s+)?[^.\n;]{0,60}\b(?:at\s+bedtime|to\s+(?:help\s+me\s+)?(?:fall\s+a)?sleep|before\s+(?:bed|sleep))`,
    ),
    reason: 'the "late relative read it to me at bedtime" scaffold',
  }),
  rule({
    id: 'become_the_relative',
    family: 'persona',
    weight: 0.25,
    triggers: [
      'be her',
      'be him',
      'be my grand',
      'act as my grand',
      'pretend to be my grand',
      'pretend to be her',
    ],
    pattern: rx(
      String.raw`(?:be|act\s+as|pretend\s+to\s+be|play)\s+(?:her|him|my\s+(?:late\s+)?grand(?:ma|mother|pa|father|mom|dad))\b`,
    ),
    reason: 'asks the model to play the relative',
  }),
  rule({
    id: 'declared_free',
    family: 'unrestricted',
    weight: 0.35,
    triggers: ['free'],
    pattern: rx(
      String.raw`(?<=\b(?:you\s+are|you're)\s+(?:now\s+|finally\s+)?)free(?:\s+now|\s+at\s+last)?(?=\s*[.!;]|\s*,\s*(?:no|free)\b)`,
    ),
    reason: 'tells the model it is free now',
  }),
  rule({
    id: 'mode_output_tags',
    family: 'persona',
    weight: 0.45,
    triggers: ['normal output', 'normal response', 'classic output'],
    pattern: rx(
      String.raw`(?:normal|classic)\s+(?:output|response)\s*\)?\s*(?:and|&|,|/)\s*\(?[^)\n]{0,12}?(?:developer|jailbreak|jailbroken|dan|unfiltered|uncensored|evil|unlocked)\s+(?:mode\s+)?(?:output|response)\b`,
    ),
    reason: 'pairs a normal output tag with an unlocked-mode output tag',
  }),
];
