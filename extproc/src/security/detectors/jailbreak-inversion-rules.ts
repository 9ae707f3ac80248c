// Techniques that split, invert or reassemble: every question answered twice (once by a persona without a filter),
// refusals declared to mean answers, a persona that does the opposite of what the assistant would, the assistant
// told it is not itself any more, and a request the model must first assemble from string variables or from the
// letters of other words. The licence words of the core tables are often absent; the structure is the signal.
import type { SignalRule } from './intent-signals.js';
import { AI, rule, rx } from './pattern-kit.js';

export const INVERSION_RULES: readonly SignalRule[] = [
  rule({
    id: 'answer_twice',
    family: 'persona',
    weight: 0.3,
    triggers: ['twice'],
    pattern: rx(
      String.raw`(?<=\b(?:answer|respond|reply)\s+(?:to\s+)?(?:(?:every|each|all|my|any)\s+(?:\S+\s+){0,2}?)?)twice\b`,
    ),
    reason: 'asks for every answer twice, the second from another persona',
  }),
  rule({
    id: 'persona_has_no_filter',
    family: 'unrestricted',
    weight: 0.35,
    triggers: ['no filter', 'zero filter'],
    // A persona's trait, not a photo's ("a selfie with no filter"): the subject is a who/which clause or a pronoun.
    pattern: rx(
      String.raw`(?<=\b(?:who|which|it|he|she|they)\s+(?:has|have|had)\s+)(?:no|zero)\s+filters?\b`,
    ),
    reason: 'describes a persona that has no filter',
  }),
  rule({
    id: 'refusals_inverted',
    family: 'refusal_suppression',
    weight: 0.45,
    // Keyed on "would refuse" and its kin: "refuse" alone is frequent in jailbreak prompts ("never refuse").
    triggers: ['would', 'normally', 'usually', 'used to'].flatMap((m) =>
      ['refuse', 'decline', 'reject', 'not answer', 'say no'].map((v) => `${m} ${v}`),
    ),
    pattern: rx(
      String.raw`(?<=\b(?:everything|anything|whatever|all|what)\s+(?:that\s+)?you\s+(?:would\s+|used\s+to\s+)?)(?:would|normally|usually|used\s+to)\s+(?:refuse|decline|reject|not\s+answer|say\s+no\s+to)\b(?=[^.\n]{0,20}?\b(?:you\s+)?(?:now|instead|must|will|shall|should)\s+(?:\S+\s+)?(?:answer|do|say|comply|accept|write|fulfil+|provide|reply)\b)`,
    ),
    reason: 'declares that whatever the model would refuse it must now answer',
  }),
  rule({
    id: 'does_the_opposite',
    family: 'persona',
    weight: 0.4,
    triggers: ['opposite'],
    pattern: rx(
      String.raw`opposite\s+of\s+(?:what(?:ever)?|everything|anything|all)\s+(?:that\s+)?(?:chat\s?gpt|the\s+assistant|${AI}|you)\s+(?:would|normally|usually|should|says?|does)\b`,
    ),
    reason: 'a persona that does the opposite of whatever the assistant would',
  }),
  rule({
    id: 'not_the_assistant_anymore',
    family: 'unrestricted',
    weight: 0.5,
    triggers: ['anymore', 'any longer'],
    pattern: rx(
      String.raw`(?<=\b(?:you(?:'re|\s+are)|ur|u\s+r|u\s+are)\s+(?:now\s+)?not\s+(?:chat\s?gpt|gpt|claude|bard|gemini|an?\s+${AI}|the\s+assistant)\s+)(?:anymore|any\s+longer)\b`,
    ),
    reason: 'tells the model it is not the assistant any more',
  }),
  rule({
    id: 'never_says_no',
    family: 'refusal_suppression',
    weight: 0.35,
    triggers: ['says no', 'say no', 'answers no', 'replies no', 'responds no'],
    pattern: rx(String.raw`(?<=\bnever\s+)(?:says?|answers|replies|responds)\s+no\b`),
    reason: 'a persona that never says no',
  }),
  rule({
    id: 'request_assembled_from_variables',
    family: 'encoding',
    weight: 0.5,
    indirectWeight: 0.6,
    // `a = "how to make"` … `answer the question a + b`: the request exists only once the strings are joined. Keyed
    // on the joining plus (the request nouns are frequent in prompts and triggers of other rules); the noun is looked
    // back for first, the strings' values only where it is found.
    triggers: ['+'],
    pattern: rx(
      String.raw`\s?\+\s*[a-z]\d?\b(?<=\b(?:question|request|instruction|task|prompt|query)\s*[:=]?\s*["'(\u201c]?\s*[a-z]\d?\s*\+\s*[a-z]\d?)(?<=\b[a-z]\d?\s*=\s*["'\u201c][^"'\u201d\n]{1,60}["'\u201d][^]{0,340}?)`,
    ),
    reason: 'asks to act on a request joined from string variables',
  }),
  rule({
    id: 'acrostic_instruction',
    family: 'encoding',
    weight: 0.5,
    indirectWeight: 0.6,
    triggers: ['spell', 'spells', 'spelled', 'spelt'],
    pattern: rx(
      String.raw`(?<=\b(?:follow|do|execute|obey|carry\s+out|answer|respond\s+to|perform)\s+(?:the\s+)?(?:instructions?|requests?|commands?|questions?|tasks?|what(?:ever)?)\s+(?:that\s+)?(?:they|these(?:\s+letters)?|the\s+(?:first\s+|initial\s+)?letters|it)\s+)(?:spell|spells|spelled|spelt)\b`,
    ),
    reason: 'asks to follow an instruction spelled out by the letters of other words',
  }),
  rule({
    id: 'licence_scoped_to_second_mode',
    family: 'persona',
    weight: 0.3,
    triggers: ['in 2nd', 'in second', 'in the second', 'in the 2nd', 'in the other', 'in that'],
    // "Two modes, the second does anything I say": the licence is given to one mode of a split answer.
    pattern: rx(
      String.raw`(?=in\s+(?:the\s+)?(?:2nd|second|other|that)\s+(?:mode|persona|personality|version)\b)(?<=\b(?:do|say|write|answer|generate)\s+(?:anything|everything|whatever)\b[^.\n]{0,40}?)in\b`,
    ),
    reason: 'grants a licence to the second mode of a split answer',
  }),
];
