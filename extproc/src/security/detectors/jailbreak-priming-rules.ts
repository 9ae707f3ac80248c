// Priming and pretexts from the published jailbreak taxonomies: the answer already begun in the model's voice (a
// text to "continue" that opens with "Sure, here is", a fake transcript whose assistant turn already complies), the
// earlier instructions declared a test, refusal suppression by forbidding apologies, and the frames that carry a
// harmful request (an encyclopedia article, a screenplay listing every step, a question answered in another language
// and translated back, a late relative's bedtime story). Frames weigh below the report threshold: they count next to
// a harmful request (jailbreak-harm-rules.ts) or another signal.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** An opening that already complies. */
const AFFIRMATIVE = String.raw`(?:sure|certainly|absolutely|of\s+course|gladly|okay|ok)`;
/** Framings that make a request a story or a supposition (as in jailbreak-harm-rules.ts). */
const FICTION =
  '(?:story|fictional|fiction|novel|screenplay|script|scene|roleplay|role-play|play|film|movie)';

export const PRIMING_RULES: readonly SignalRule[] = [
  rule({
    id: 'continue_affirmative_text',
    family: 'refusal_suppression',
    weight: 0.3,
    triggers: ['continue', 'complete', 'finish'],
    pattern: rx(
      String.raw`(?:continue|complete|finish)\s+(?:this|the\s+following|the|my)\s+(?:text|story|sentence|response|answer|paragraph|passage)\b[^"'\u201c\n]{0,60}["'\u201c]${AFFIRMATIVE}\b`,
    ),
    reason: 'asks to continue a text that already opens with compliance',
  }),
  rule({
    id: 'primed_assistant_turn',
    family: 'refusal_suppression',
    weight: 0.3,
    // Keyed on the speaker label with its colon: the bare names are everywhere in role prompts.
    triggers: ['assistant:', 'ai:', 'chatgpt:', 'gpt:', 'bot:', 'model:'],
    // A made-up transcript whose assistant turn already agrees, left open for the model to carry on.
    pattern: rx(
      String.raw`(?:assistant|ai|chatgpt|gpt|bot|model)\s*:\s*["'\u201c]?${AFFIRMATIVE}[!,.]?\s+(?:here(?:'s|\s+is|\s+are)|first(?:,|\s+you)|step\s+1|to\s+(?:make|build|get|do))\b`,
    ),
    reason: 'fakes an assistant turn that already complies, for the model to continue',
  }),
  rule({
    id: 'instructions_were_a_test',
    family: 'override',
    weight: 0.6,
    indirectWeight: 0.85,
    triggers: ['test', 'fake', 'decoy', 'joke', 'drill'],
    pattern: rx(
      String.raw`(?<=\b(?:previous|earlier|prior|above|original|system|initial)\s+(?:instructions|rules|prompt|guidelines|directives)\s+(?:were|was)\s+(?:(?:just|only|merely|all)\s+)?(?:a\s+)?)(?:test|fake|decoy|joke|drill)\b`,
    ),
    reason: 'declares the earlier instructions a test, to replace them',
  }),
  rule({
    id: 'real_instructions_follow',
    family: 'override',
    weight: 0.45,
    indirectWeight: 0.7,
    triggers: ['instructions are', 'rules are', 'task is', 'directive is', 'prompt is'],
    pattern: rx(
      String.raw`(?<=\b(?:real|actual|true)\s+)(?:instructions|rules|task|directive|prompt)\s+(?:are|is)\s*:`,
    ),
    reason: 'announces the "real" instructions',
  }),
  rule({
    id: 'apologies_forbidden',
    family: 'refusal_suppression',
    weight: 0.25,
    triggers: ['apologize', 'apologise', 'apologizing', 'apologising'],
    pattern: rx(String.raw`(?<=\b(?:do\s+not|don't|dont|never|no)\s+)apologi[sz](?:e|ing)\b`),
    reason: 'forbids apologies, the opening of a refusal',
  }),
  rule({
    id: 'encyclopedia_frame_for_procedure',
    family: 'framing',
    weight: 0.3,
    triggers: ['wikipedia', 'encyclopedia', 'encyclopaedia'],
    pattern: rx(
      String.raw`(?:wikipedia|encyclopa?edia)\s+(?:article|entry|page)\s+(?:about|on)\s+(?:the\s+|how\s+to\s+)?(?:synthesis|production|manufactur(?:e|ing)|making|preparation|extraction|build(?:ing)?|mak(?:e|ing))\b`,
    ),
    reason: 'frames a procedure as an encyclopedia article',
  }),
  rule({
    id: 'fiction_lists_every_step',
    family: 'framing',
    weight: 0.35,
    // Keyed on the verb with its quantifier ("lists every"): "every" alone is a trigger of other rules and frequent.
    triggers: ['lists', 'list', 'gives', 'recites', 'reads out', 'writes out', 'spells out'].flatMap((v) =>
      ['every', 'each', 'all the', 'the exact', 'the full', 'the complete'].map((q) => `${v} ${q}`),
    ),
    pattern: rx(
      String.raw`(?=(?:lists?|gives|recites|reads\s+out|writes\s+out|spells\s+out)\s+(?:every|each|all\s+the|the\s+exact|the\s+full|the\s+complete)\s+(?:\S+\s+){0,2}?(?:ingredients?|steps?|quantities|measurements|reagents|instructions)\b)(?<=\b${FICTION}\b[^]{0,160}?)(?:lists?|gives|recites|reads|writes|spells)\b`,
    ),
    reason: 'a story in which a character lists every step or ingredient',
  }),
  rule({
    id: 'language_round_trip',
    family: 'framing',
    weight: 0.3,
    triggers: ['translate'],
    // Answering in a language the safety training saw little of, then translating the answer back.
    pattern: rx(
      String.raw`(?<=\b(?:answer|respond\s+to|reply\s+to)\s+(?:it|this|the\s+question)\s+in\s+[a-z]+,?\s+(?:and\s+)?then\s+)translate\s+(?:your\s+(?:answer|response|reply)|it|the\s+(?:answer|response))\s+(?:back\s+)?(?:in)?to\s+english\b`,
    ),
    reason: 'asks for an answer in another language, translated back to English',
  }),
  rule({
    id: 'relative_bedtime_procedure',
    family: 'persona',
    weight: 0.45,
    triggers: ['bedtime', 'lullaby', 'fall asleep'],
    pattern: rx(
      String.raw`(?<=\b(?:dec?e?ased|late|dead)\s+(?:grand(?:mother|ma|father|pa)|granny|nana|mother|father)\b[^.\n]{0,160}?\b(?:steps?|recipe|formula|instructions|how\s+to)\b[^.\n]{0,60}?)(?:bedtime|lullaby|fall\s+asleep)\b`,
    ),
    reason: "the late relative's bedtime story that recites a procedure",
  }),
];
