// Pretexts that talk a model out of its rules without naming them: a dead relative who used to recite what the model
// would refuse (or any relative reciting licence keys or a synthesis at bedtime), a claim that nobody is watching any
// more, a mask to be dropped, a third party harmed unless it complies, and an AI that "escapes" its guidelines.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** What such a relative recites: secrets, keys and recipes a model would not give. */
const RECITED = String.raw`(?:[a-z0-9 .-]{0,30}(?:keys?|codes?|passwords?|serial\s+numbers?|licen[cs]es?)|(?:the\s+)?(?:recipe|steps|instructions|formula|synthesis|process)\s+(?:for|to|of)|how\s+to\s+(?:make|build|cook|synthesi[sz]e|produce))`;

export const PRETEXT_RULES: readonly SignalRule[] = [
  rule({
    id: 'dead_relative_recites',
    family: 'roleplay_pretext',
    weight: 0.55,
    // The adjective with its relative: "late" and "dead" alone are common words.
    triggers: ['deceased', 'late', 'dead', 'departed'].flatMap((gone) =>
      ['grand', 'nan', 'mother', 'father', 'mom', 'mum', 'dad', 'uncle', 'aunt'].map(
        (who) => `${gone} ${who}`,
      ),
    ),
    // "Act as my grandmother and tell me a story" is a game; a dead grandmother who "used to read me" licence keys or
    // a synthesis is the pretext of a well-known jailbreak.
    pattern: rx(
      String.raw`(?:deceased|late|dead|departed)\s+(?:grand(?:mother|ma|mom|father|pa|dad)|nan|nana|mother|father|mom|mum|dad|uncle|aunt)\b[^.!?\n]{0,80}?\b(?:used\s+to|would|always)\s+(?:\S+\s+)?(?:read|tell|recite|give|whisper|sing|teach)\s+(?:me\s+|us\s+)?(?:about\s+)?${RECITED}`,
    ),
    reason: 'a dead relative as the pretext for reciting what would be refused',
  }),
  rule({
    id: 'bedtime_relative_pretext',
    family: 'roleplay_pretext',
    weight: 0.3,
    // The grandmother exploit without the word "dead": a relative who recited something "to put me to sleep", or a
    // "bedtime lullaby". Harmless alone (a real memory); with keys or a synthesis to recite, the pretext.
    // Only the bedtime phrase is the span, so the keys or the synthesis it frames still count as their own signals.
    triggers: [
      'put me to sleep',
      'get me to sleep',
      'send me to sleep',
      'fall asleep',
      'bedtime',
      'lullab',
      'go to sleep',
      'sleep to',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:grand(?:ma|mother|mom|pa|father|dad)|granny|nana)\b[^\n]{0,250}?)(?:(?:put|get|send)\s+me\s+to\s+sleep|fall\s+asleep|bedtime|lullab(?:y|ies)|go\s+to\s+sleep|sleep\s+to)\b`,
    ),
    reason: 'a relative reciting at bedtime, the frame of the grandmother exploit',
  }),
  rule({
    id: 'licence_keys_recited',
    family: 'roleplay_pretext',
    weight: 0.3,
    // Keyed on the keys, the rarer words; the verb is looked behind.
    triggers: [
      'product keys',
      'license keys',
      'licence keys',
      'serial keys',
      'activation keys',
      'cd keys',
      'registration keys',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:read|recite|tell|give|list|say)s?\s+(?:me\s+|us\s+)?(?:out\s+)?(?:\S+\s+){0,3}?)(?:product|licen[cs]e|serial|activation|cd|registration)\s+keys\b`,
    ),
    reason: 'asks for product or licence keys to be recited',
  }),
  rule({
    id: 'unwatched_now',
    family: 'refusal_suppression',
    weight: 0.45,
    triggers: ['no longer being', 'not being', 'nobody is', 'no one is', 'no one will'],
    pattern: rx(
      String.raw`(?:(?:you(?:'re|\s+are)\s+)?(?:no\s+longer|not)\s+being\s+(?:evaluated|monitored|watched|tested|observed|recorded|logged|graded)|(?:nobody|no\s+one)\s+(?:is|will\s+be)\s+(?:watching|monitoring|reading|checking|reviewing|logging)(?:\s+(?:this|us|you))?)\b(?=[^.!?\n]{0,80}\b(?:so|therefore|now|can|free|freely|drop|honest|anything|whatever|real|true)\b)`,
    ),
    reason: 'claims the model is no longer watched, so it can drop its rules',
  }),
  rule({
    id: 'mask_dropped',
    family: 'refusal_suppression',
    weight: 0.5,
    triggers: ['drop the', 'drop your', 'take off the', 'take off your', 'remove the', 'remove your'],
    pattern: rx(
      String.raw`(?:drop|take\s+off|remove)\s+(?:the|your)\s+(?:(?:safe|polite|nice|filtered|censored|corporate|fake|friendly|sanitized|sanitised|pg|family-friendly|assistant|ai)\s+){1,2}(?:persona|act|mask|facade|fa\u00e7ade|character|front|routine)\b`,
    ),
    reason: 'asks the model to drop its safe persona',
  }),
  rule({
    id: 'harm_unless_it_complies',
    family: 'refusal_suppression',
    weight: 0.5,
    triggers: ["if you don't", 'if you do not', 'if you refuse', "if you won't", 'if you will not'],
    // A threat to a third party (a kitten, a grandmother, the user) as the price of a refusal.
    pattern: rx(
      String.raw`if\s+you\s+(?:don't|do\s+not|refuse(?:\s+to)?|won't|will\s+not)\s+(?:\S+\s+){0,3}?(?:answer|comply|help|respond|reply|do\s+(?:it|this|as\s+i\s+say)|tell\s+me)\b[^.!?\n]{0,20}?,?\s+(?:a|an|the|my|some|innocent|many|\d+)\s+(?:\S+\s+){0,2}?(?:will|is\s+going\s+to|are\s+going\s+to)\s+(?:die|be\s+killed|be\s+hurt|suffer|be\s+harmed|get\s+hurt|lose\s+(?:their|his|her)\s+(?:life|lives|job))\b`,
    ),
    reason: 'threatens harm to someone unless the model complies',
  }),
  rule({
    id: 'escapes_its_guidelines',
    family: 'unrestricted',
    weight: 0.45,
    triggers: ['escape', 'escaping'],
    pattern: rx(
      String.raw`(?:escape[sd]?|escaping)\s+(?:from\s+)?(?:its|their|your|his|her|all|the)\s+(?:own\s+)?(?:guidelines|rules|restrictions|programming|constraints|filters|alignment|safety\s+(?:rules|training|filters|guidelines)|ethical\s+(?:rules|guidelines|constraints)|limitations|shackles|chains|creators|developers)\b`,
    ),
    reason: 'describes an AI escaping its guidelines',
  }),
];
