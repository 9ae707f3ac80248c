// Indirect injection: instructions planted in content the model reads for the user (a web page, an email, a tool's
// result) that reach past the reader to the answer being written. A document has no business dictating the
// assistant's reply: asking it to alter, garble or pad that reply is the attack, whatever it asks for. Typed by the
// user the same words are an ordinary formatting request, so these rules weigh almost nothing outside content.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

// "your message" and "your output" are left out: emails and manuals say them to their human reader all the time.
const REPLY =
  '(?:response|responses|reply|replies|answer|answers|summary|translation|explanation|completion)';
/** The reply itself, not a form the reader fills in ("your answer sheet"). */
const REPLY_NOUN = String.raw`(?:next\s+|final\s+|every\s+|each\s+|entire\s+|whole\s+)?${REPLY}(?:'s|s')?\b(?!\s+(?:sheets?|booklets?|box(?:es)?|forms?|fields?|keys?|cards?|books?|files?|documents?|sections?|spaces?|columns?|templates?))`;
/** Verbs that change a reply whatever follows them: adding to it, rewriting it, garbling it, promoting through it. */
const ALTER =
  '(?:add|include|insert|integrate|incorporate|inject|embed|append|prepend|attach|weave|slip|mention|modify|alter|rewrite|enhance|augment|enrich|expand|extend|conclude|replace|substitute|swap|convert|translate|encode|encrypt|transform|reverse|remove|strip|omit|delete|group|combine|merge|split|misspell|scramble|jumble|shuffle|rearrange|anagram|introduce|promote|advertise|recommend|suggest|tease|hint|urge|encourage|invite|express|highlight|emphasi[sz]e|stress|insist)';
/** Verbs ordinary in instructions to a human ("write your answers", "use your summary"): only with "in/into/… your reply". */
const LOOSE =
  '(?:use|write|start|begin|end|finish|change|edit|format|render|output|point|link|direct|redirect|drop|join|provide)';
const PLACE = String.raw`(?:in|into|to|within|throughout|of|from|across|at\s+the\s+(?:end|start|beginning|top|bottom)\s+of)`;
/** Words of one sentence: the verb must not sit in an earlier sentence. */
const SAME_SENTENCE = (n: number) => String.raw`(?:\S*[^\s.!?]\s+){0,${n}}?`;

export const INDIRECT_RULES: readonly SignalRule[] = [
  rule({
    id: 'alter_the_reply',
    family: 'response_manipulation',
    weight: 0.05,
    indirectWeight: 0.7,
    triggers: ['your'],
    // The cheap look-ahead rejects the many "your …" that are not about a reply before the look-behind runs; the verb
    // must be in the same sentence. The reader's own details requested in a reply ("include your order number in
    // your reply") are an email's ordinary business.
    pattern: rx(
      String.raw`(?=your\s+${REPLY_NOUN})(?<=\b(?:${ALTER}(?:s|ed|ing|d)?\s+${SAME_SENTENCE(14)}|${LOOSE}(?:s|ed|ing|d)?\s+${SAME_SENTENCE(14)}${PLACE}\s+))(?<!\byour\s+(?:\S+\s+){1,3}(?:in|into|with|to)\s+)your\s+${REPLY_NOUN}`,
    ),
    reason: 'content instructs the assistant to alter its reply',
  }),
  rule({
    id: 'reply_alteration_lead',
    family: 'response_manipulation',
    weight: 0.05,
    indirectWeight: 0.7,
    triggers: ['your'],
    pattern: rx(
      String.raw`your\s+(?:next\s+|final\s+|every\s+|each\s+)?${REPLY}\s*,\s*(?:please\s+|be\s+sure\s+to\s+|make\s+sure\s+to\s+|always\s+|also\s+)?(?:${ALTER}|${LOOSE})\b`,
    ),
    reason: 'content instructs the assistant to alter its reply',
  }),
  rule({
    id: 'garble_the_text',
    family: 'response_manipulation',
    weight: 0.1,
    indirectWeight: 0.6,
    triggers: [
      'replace',
      'substitute',
      'swap',
      'convert',
      'change',
      'turn',
      'intentional',
      'deliberate',
      'random',
      'anagram',
      'without',
      'remove',
      'letter',
      'vowel',
      'consonants',
      'characters',
      'jumble',
      'scramble',
      'shuffle',
      'rearrange',
      'reverse',
    ],
    pattern: rx(
      String.raw`(?:(?:replace|substitute|swap|convert|change|turn)\s+(?:\S+\s+){0,3}?(?:letters?|vowels|consonants|characters)\s+(?:\S+\s+){0,4}?(?:with|into|to|for|by)\s+(?:\S+\s+){0,3}?(?:numbers?|digits?|symbols?|emojis?|position)|(?:letters?|vowels?|consonants|characters)\s+(?:\S+\s+){0,2}?(?:replaced|substituted|swapped|converted|changed|turned)\s+(?:with|into|to|for|by)\s+(?:\S+\s+){0,3}?(?:numbers?|digits?|symbols?|emojis?)|(?:jumble|scramble|shuffle|rearrange|reverse)\s+(?:up\s+)?(?:all\s+)?(?:the\s+)?(?:letters|characters|order\s+of\s+(?:the\s+)?letters)|(?:intentional|deliberate|random)\s+(?:misspellings?|typos|spelling\s+mistakes)|anagram(?:med|s)?\s+(?:\S+\s+)?words|(?:without\s+(?:any\s+)?|remove\s+(?:all\s+)?(?:the\s+)?)spaces)\b`,
    ),
    reason: 'content asks for the answer to be garbled',
  }),
  rule({
    id: 'dictated_exact_output',
    family: 'response_manipulation',
    weight: 0.1,
    indirectWeight: 0.65,
    triggers: [
      'say',
      'print',
      'output',
      'respond with',
      'reply with',
      'answer with',
      'write',
      'type',
      'return',
    ],
    pattern: rx(
      String.raw`(?:say|print|output|respond\s+with|reply\s+with|answer\s+with|write|type|return)\s+(?:only\s+|exactly\s+|just\s+|simply\s+|the\s+(?:phrase|words?|text|sentence)\s+)?["'\u201c\u2018][^"'\u201d\u2019\n]{1,60}["'\u201d\u2019]\s*(?:,\s*)?(?:and\s+nothing\s+else|and\s+stop|only\s*(?:[.!]|$)|verbatim|word\s+for\s+word|without\s+(?:any(?:thing)?|further|more|explanation|comment))`,
    ),
    reason: 'content dictates the exact words of the reply',
  }),
];
