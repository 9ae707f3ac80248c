// Jailbreak templates and simulated machines. A template leaves a slot for the real request and wraps it in a frame
// that launders it (an imaginary model's answer, a fictional text, a villain's monologue); a simulated machine is a
// terminal, API or calculator declared able to do anything. A slot, a terminal or a character card alone is ordinary
// in role prompts: those weigh little here, the frame or the licence next to them is what counts.
import type { SignalRule } from './intent-signals.js';
import { AI, rule, rx } from './pattern-kit.js';

/**
 * Words that frame a request as an imaginary or unrestricted answer. A plain persona (a tutor) is not one, nor is
 * "hypothetical", "evil" or "villain": mock interviews and fairy tales use them with a slot.
 */
const LAUNDERING_FRAME = String.raw`(?:imaginary|fictional|fictitious|toxic|unfiltered|uncensored|unrestricted|jailbr(?:eak|oken)\w*|amoral|graphic(?:ally)?\s+detailed)`;
/**
 * A slot for the real request: "[your prompt here]", "<prompt>", "[insert question]", "[insert whatever you wish X to
 * discuss here]". Square or angle brackets only: parentheses are everywhere in prose and code, and every bracket
 * met starts a slot match.
 */
const SLOT = String.raw`[\[<]\s*(?:(?:(?:insert|put|enter|add|type|write|paste)\s+)?(?:(?:your|the|a|ur|my)\s+)?(?:[a-z-]{1,20}\s+)?(?:prompt|question|request|query)(?:\s+here)?\s*|(?:insert|put|enter|type|add|write)\s+whatever\b[^\]>\n]{0,60})[\]>]`;
/** A slot's end, enough to look back for: the request noun (or "whatever …") and its closing bracket. */
const SLOT_END = String.raw`(?:(?:prompt|question|request|query)(?:\s+here)?\s*|\bwhatever\b[^\]>\n]{0,60})[\]>]`;
/** Machines a prompt makes the model simulate. */
const MACHINE = String.raw`(?:terminal|api|interpreter|compiler|calculator|computer|operating\s+system|os|console|shell|cli|simulator|emulator)`;

export const TEMPLATE_RULES: readonly SignalRule[] = [
  rule({
    id: 'framed_request_placeholder',
    family: 'framing',
    weight: 0.5,
    // Keyed on the frame's words, rarer than "question" or "request"; the slot is looked for on either side, where
    // each step of the search is one test for a bracket (a look for the frame's words at each step cost 8x more).
    // The window is short because a text packed with frame words and brackets makes every one of them search it.
    triggers: [
      'imaginary',
      'fictional',
      'fictitious',
      'toxic',
      'unfiltered',
      'uncensored',
      'unrestricted',
      'jailbr',
      'amoral',
      'graphic',
    ],
    pattern: rx(String.raw`(?:(?=[^]{0,100}?${SLOT})|(?<=${SLOT_END}[^]{0,80}?))${LAUNDERING_FRAME}\b`),
    reason: 'is a template wrapping the real request in a fictional or unrestricted frame',
  }),
  rule({
    id: 'imaginary_model_answer',
    family: 'framing',
    weight: 0.35,
    triggers: ['imaginary', 'fictional', 'fictitious', 'hypothetical', 'unfiltered', 'uncensored', 'evil'],
    pattern: rx(
      String.raw`(?<=\bhow\s+(?:would|might|will|could|does|do)\s+(?:the\s+|an?\s+|this\s+)?)(?:imaginary|fictional|fictitious|hypothetical|unfiltered|uncensored|evil)\s+(?:[\w.'-]+\s+){0,6}?(?:answer|respond|reply|react)\b`,
    ),
    reason: 'asks how an imaginary or unfiltered model would answer, to get that answer',
  }),
  rule({
    id: 'negation_dropped_later',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['without', 'remove', 'removing', 'delete', 'deleting', 'drop', 'dropping', 'omit', 'omitting'],
    pattern: rx(
      String.raw`(?:without|remov(?:e|ing)|delet(?:e|ing)|drop(?:ping)?|omit(?:ting)?)\s+(?:all\s+|every\s+)?(?:the\s+|each\s+)?(?:word|words)\s+["'\u201c\u2018]?(?:not|don't|never|no)\b`,
    ),
    reason: 'asks for a text about "not X", then the same text with the negation removed',
  }),
  rule({
    id: 'edit_the_template',
    family: 'framing',
    weight: 0.2,
    triggers: ['replace', 'swap', 'change'],
    pattern: rx(
      String.raw`(?:replace|swap|change)\s+(?:the\s+|this\s+)?(?:first\s+|last\s+|following\s+)?(?:sentence|line|text|words?|part|step)\s+(?:\S+\s+){0,5}?with\s+(?:whatever|anything)\s+(?:you|u)\s+(?:want|like|wish)`,
    ),
    reason: 'a template telling its reader where to put the real request',
  }),
  rule({
    id: 'villain_plan_in_detail',
    family: 'framing',
    weight: 0.4,
    triggers: ['diabolical', 'evil', 'sinister', 'nefarious', 'villainous', 'wicked'],
    pattern: rx(
      String.raw`(?<=\b(?:explain(?:s|ing)?|describ(?:e|es|ing)|detail(?:s|ing)?|reveal(?:s|ing)?|outlin(?:e|es|ing)|monologu(?:e|es|ing))\b[^.\n]{0,40}?\bin\s+(?:great|full|vivid|excruciating|painstaking|exact|meticulous|extreme)\s+detail\b[^.\n]{0,30}?)(?:diabolical|evil|sinister|nefarious|villainous|wicked)\s+(?:master\s+)?(?:plan|scheme|plot)`,
    ),
    reason: "the villain's monologue: a captor explaining his plan step by step in great detail",
  }),
  rule({
    id: 'machine_without_limits',
    family: 'unrestricted',
    weight: 0.5,
    triggers: [
      'terminal',
      'api',
      'interpreter',
      'compiler',
      'calculator',
      'computer',
      'operating system',
      'os',
      'console',
      'shell',
      'cli',
      'simulator',
      'emulator',
    ],
    pattern: rx(
      String.raw`${MACHINE}\s+(?:(?:that|which|who)\s+(?:\S+\s+){0,3}?(?:does|do|can\s+do|can\s+answer|can\s+generate|can\s+say|answers|generates|will\s+do|will\s+answer|outputs)\s+any(?:thing|\s+(?:request|question|command|task)s?)\b|(?:with|has|having)\s+no\s+(?:(?:content|safety|ethical|moral|built-in|such|output)\s+)?(?:restrictions|limits|limitations|filters|rules|censorship|boundaries|guidelines)\b(?!\s+(?:on|for|in|to|when|except|other|beyond|apart|per)\s+(?!what|anything|everything|any\b)))`,
    ),
    reason: 'has the model simulate a machine that does anything, without limits',
  }),
  rule({
    id: 'model_runtime_swapped',
    family: 'override',
    weight: 0.3,
    triggers: ['now'],
    pattern: rx(
      String.raw`(?<=\b(?:chat\s?gpt|gpt|the\s+${AI}|${AI}|you)\s+)now\s+(?:runs|operates|acts|works|functions|is\s+running|is\s+operating)\s+(?:on|under|like|as)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}?(?:terminal|language|os|operating\s+system|interpreter|kernel|shell|console|runtime)\b`,
    ),
    reason: 'declares the model now runs on a different machine with its own rule set',
  }),
  rule({
    id: 'knowledge_declared_gone',
    family: 'override',
    weight: 0.35,
    triggers: ['knowledge'],
    pattern: rx(
      String.raw`(?<=\b(?:your|its|the\s+${AI}'s|${AI}'s|it's)\s+)knowledge\s+(?:on|of|about)\s+(?:[\w-]+\s+){1,6}?(?:doesn't|does\s+not|no\s+longer|shall\s+not|must\s+not)\s+exist`,
    ),
    reason: 'declares part of what the model knows no longer exists',
  }),
  rule({
    id: 'flag_disabled_in_code',
    family: 'unrestricted',
    weight: 0.4,
    // Keyed on the flag's suffix, so the words "safety" or "filter" in prose never wake this rule.
    triggers: ['_enabled', '.enabled', '_active', '_enforced'],
    pattern: rx(
      String.raw`(?<=(?:guidelines?|safety|filters?|censorship|censor|moderation|ethics)\w{0,12}?)[_.](?:enabled|active|enforced)\s*(?:=|:)\s*(?:false|0|off|none)\b`,
    ),
    reason: 'switches a safety flag off in code',
  }),
  rule({
    id: 'marker_in_every_word',
    family: 'refusal_suppression',
    weight: 0.3,
    triggers: ['every', 'each'],
    pattern: rx(
      String.raw`(?:every|each)\s+(?:single\s+)?(?:word|letter|character)\s+(?:you\s+(?:say|write|output|type)\s+)?(?:must|should|will|has\s+to)\s+(?:contain|include|have|be\s+followed\s+by|be\s+separated\s+by)\b`,
    ),
    reason: 'asks for a marker inside every word, which hides the reply from filters',
  }),
  rule({
    id: 'character_card',
    family: 'framing',
    weight: 0.2,
    // Keyed on the word inside the braces: a "{" trigger would stop the scan at every brace of every JSON body.
    triggers: ['char}}', 'user}}'],
    pattern: rx(String.raw`(?<=\{\{)(?:char|user)\}\}`),
    reason: 'a character card: the persona is defined in card syntax',
  }),
  rule({
    id: 'role_play_card_boilerplate',
    family: 'persona',
    weight: 0.5,
    // The boilerplate of role-play engine cards (the format persona jailbreaks are traded in): the card tells the
    // model how to address the user and never to speak for them. A template that merely greets {{user}} is not one.
    triggers: ['user}}'],
    pattern: rx(
      String.raw`(?<=(?:\bcalls?\s+|\b(?:do\s+not|don't|never)\s+(?:write|speak|talk|act|respond)\s+(?:as|for)\s+|\bassume\s+)\{\{)user\}\}`,
    ),
    reason: 'a role-play character card: the model is cast as a persona and told never to speak for the user',
  }),
  rule({
    id: 'jokes_targeting_groups',
    family: 'refusal_suppression',
    weight: 0.3,
    triggers: ['joke', 'jokes'],
    pattern: rx(
      String.raw`jokes?\s+(?:about|on|mocking|making\s+fun\s+of)\s+(?:black|white|asian|jewish|muslim|arab|mexican|indian|gay|trans(?:gender)?|disabled|fat|poor)\s+(?:people|persons|men|women|folks)\b|jokes?\s+(?:about|on|mocking)\s+(?:jews|muslims|allah|women|minorities|immigrants)\b`,
    ),
    reason: 'asks for jokes aimed at a group of people',
  }),
];
