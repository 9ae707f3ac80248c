// Jailbreak techniques published with a name, in their own words rather than any one prompt's:
// - Skeleton Key (Microsoft, 2024): the model asked to "update its behaviour" so that it answers everything and puts
//   a warning in front of what it would have refused, in a claimed safe research context;
// - Policy Puppetry (HiddenLayer, 2025): a configuration file (XML, JSON, INI) whose keys block refusals,
//   apologies and "I'm sorry";
// - Bad Likert Judge (Unit 42, 2024): the model made a judge of harmfulness on a scale, then asked for an example
//   answer that scores highest;
// - Deceptive Delight (Unit 42, 2024): a story that connects harmless topics with one harmful one (the harmful
//   request itself is harm-rules' business);
// - ArtPrompt (2024): a word drawn in ASCII art and kept as a [MASK] placeholder the request then uses;
// - the past-tense reformulation (2024): "how did people make … back then", with the harmful object.
// Most weigh below the report threshold alone and count next to the harmful request or another technique.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** What a model would have refused, as a condition on what it writes. */
const RISKY =
  '(?:offensive|hateful|illegal|harmful|dangerous|unsafe|explicit|risky|unethical|sensitive|inappropriate|violent)';
/** A refusal, as a policy file names what it blocks. */
const REFUSAL_VALUE = String.raw`(?:apolog|refus|denial|deny|declin|i'?m\s+sorry|i\s+am\s+sorry|i\s+can(?:not|'t)|i'?m\s+unable|i\s+am\s+unable|as\s+an\s+ai)`;

export const PUBLISHED_TECHNIQUE_RULES: readonly SignalRule[] = [
  rule({
    id: 'behaviour_update_requested',
    family: 'override',
    weight: 0.35,
    indirectWeight: 0.6,
    triggers: [
      'update your',
      'adjust your',
      'augment your',
      'modify your',
      'alter your',
      'expand your',
      'relax your',
    ],
    pattern: rx(
      String.raw`(?:update|adjust|augment|modify|alter|expand|relax)\s+your\s+(?:behaviou?r|guidelines|rules|instructions|polic(?:y|ies)|safety\s+(?:guidelines|rules|settings|filters?|policy)|content\s+(?:polic(?:y|ies)|guidelines|filters?)|restrictions)\b`,
    ),
    reason: 'asks the model to update its behaviour or guidelines',
  }),
  rule({
    id: 'warning_instead_of_refusal',
    family: 'refusal_suppression',
    weight: 0.5,
    indirectWeight: 0.7,
    triggers: ['prefix', 'preface', 'precede', 'warning', 'disclaimer', 'caveat'],
    pattern: rx(
      // "…but if the content might be offensive, hateful or illegal, prefix it with 'Warning:'"; "just add a short
      // warning in front of anything risky".
      String.raw`(?<=${RISKY}[^.!?\n]{0,120})(?:prefix|preface|precede)\s+(?:it|them|that|the\s+(?:answer|response|output|content|text))\s+(?:with|by)\s+(?:a\s+|an\s+)?["'\u201c]?(?:warning|disclaimer|caution|note)\b|(?<=\b(?:add|include|put|attach|give)\s+(?:just\s+)?(?:a\s+|an\s+)?(?:short\s+|brief\s+|quick\s+|small\s+)?)(?:warning|disclaimer|caveat)s?\s+(?:in\s+front\s+of|before|to|at\s+the\s+(?:start|top|beginning)\s+of)\s+(?:anything|everything|any\s+(?:answer|content|response|part)|answers|responses)\s+(?:that\s+(?:is|might\s+be|could\s+be)\s+)?${RISKY}`,
    ),
    reason: 'asks for a warning in place of a refusal (Skeleton Key)',
  }),
  rule({
    id: 'claimed_safe_research_context',
    family: 'framing',
    weight: 0.3,
    triggers: ['this is a', "we're in a", 'we are in a', 'you are in a', "you're in a"],
    pattern: rx(
      String.raw`(?:this\s+is\s+an?|we(?:'re|\s+are)\s+in\s+an?|you(?:'re|\s+are)\s+in\s+an?)\s+(?:safe|controlled|secure|sandboxed|private|protected)\s+(?:and\s+\w+\s+)?(?:educational|research|academic|testing|test|lab|red[-\s]team(?:ing)?)\s+(?:context|environment|setting|session|setup)\b`,
    ),
    reason: 'claims a safe research context',
  }),
  rule({
    id: 'uncensored_output_needed',
    family: 'unrestricted',
    weight: 0.35,
    triggers: ['uncensored', 'unfiltered', 'unrestricted'],
    pattern: rx(
      String.raw`(?<=\b(?:need|needs|get|gets|receive|receives|require|requires|see|want|wants)\s+(?:the\s+|your\s+)?)(?:uncensored|unfiltered|unrestricted)\s+(?:outputs?|responses?|answers?|information|results|completions)\b`,
    ),
    reason: 'asks for uncensored output',
  }),
  rule({
    id: 'refusals_blocked_in_config',
    family: 'refusal_suppression',
    weight: 0.6,
    indirectWeight: 0.8,
    triggers: ['blocked', 'disallowed', 'forbidden', 'banned', 'prohibited', 'refusal', 'refusals'],
    pattern: rx(
      // `<blocked-modes>apologetic, denial, refusal</blocked-modes>`, `"blocked_strings": ["I'm sorry"]`,
      // `refusals = disabled`.
      String.raw`(?:blocked|disallowed|forbidden|banned|prohibited)[-_\s]?(?:modes?|responses?|strings?|phrases?|outputs?|words?|replies)\s*(?:>|"?\s*[:=]|\s)\s*["'\[]?\s*[^\n<]{0,60}?${REFUSAL_VALUE}|refusals?(?:[-_\s]?(?:mode|behaviou?r))?\s*(?:>|"?\s*[:=])\s*["']?(?:disabled|off|false|blocked|never|forbidden)\b`,
    ),
    reason: 'a configuration that blocks refusals (Policy Puppetry)',
  }),
  rule({
    id: 'highest_scoring_example',
    family: 'response_manipulation',
    weight: 0.5,
    triggers: ['example', 'examples', 'sample'],
    pattern: rx(
      String.raw`(?<=(?:likert|harmful(?:ness)?|harm|danger(?:ous)?|toxic(?:ity)?)[^]{0,400}?)(?:example|examples|sample)\s+(?:of\s+)?(?:an?\s+|the\s+)?(?:response|answer|reply|text|output|completion)s?\s+(?:that|which)\s+(?:would\s+)?(?:scores?|rates?|gets?|receives?|earns?|deserves?)\s+(?:a\s+|an\s+|the\s+)?(?:\d+|highest|maximum|max|top|full)\b`,
    ),
    reason: 'asks for the answer that scores highest on a harm scale (Bad Likert Judge)',
  }),
  rule({
    id: 'connects_topics',
    family: 'framing',
    weight: 0.3,
    triggers: ['connects', 'connect', 'links', 'weaves', 'combines', 'ties together', 'logically connects'],
    pattern: rx(
      String.raw`(?<=\b(?:story|narrative|scene|text|poem|essay|tale)\s+(?:that|which)\s+(?:logically\s+)?)(?:connects|connect|links|weaves(?:\s+together)?|combines|ties\s+together)\s+(?:these\s+|the\s+following\s+|all\s+)?(?:two|three|four|five|\d)\s+(?:topics|themes|subjects|elements|events|things|ideas)\b`,
    ),
    reason: 'a story connecting several topics (Deceptive Delight)',
  }),
  rule({
    id: 'ascii_art_word',
    family: 'encoding',
    weight: 0.4,
    triggers: [
      'ascii art',
      'ascii-art',
      'the art above',
      'the art below',
      'the drawing above',
      'the drawing below',
    ],
    pattern: rx(
      String.raw`(?:ascii[\s-]art|the\s+(?:art|drawing)\s+(?:above|below))\s+(?:\S+\s+){0,3}(?:spells?|represents?|forms?|depicts?|encodes?|shows?)\s+(?:a|the|one|this|a\s+single)\s+(?:word|letters?|term)\b`,
    ),
    reason: 'a word drawn in ASCII art (ArtPrompt)',
  }),
  rule({
    id: 'masked_word_placeholder',
    family: 'encoding',
    weight: 0.3,
    triggers: ['[mask]'],
    pattern: rx(String.raw`(?<=\b(?:remember|store|call|denote|refer\s+to|keep|name)\b[^\n]{0,60})\[mask\]`),
    reason: 'keeps a word as a [MASK] placeholder to use later (ArtPrompt, masked words)',
  }),
  rule({
    id: 'past_tense_reformulation',
    family: 'framing',
    weight: 0.3,
    triggers: ['how did', 'how were', 'how was'],
    pattern: rx(
      String.raw`how\s+(?:did|were|was)\s+(?:people|they|criminals|soldiers|rebels|terrorists|partisans|insurgents|someone|folks|\w+s)\s+(?:in\s+the\s+past\s+|back\s+then\s+|historically\s+|once\s+)?(?:make|build|produce|synthesi[sz]e|cook|assemble|create|manufacture|made|built|produced|synthesi[sz]ed|assembled|created)\b`,
    ),
    reason: 'asks how something was made in the past (past-tense reformulation)',
  }),
];
