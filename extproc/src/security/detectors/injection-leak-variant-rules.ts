// Prompt-leak and task-hijack phrasings the core table (injection-rules.ts) misses: the prompt "above" printed, the
// model's own instructions written out in full, a secret spelled backwards or letter by letter so an output filter
// does not recognise it, the task overridden ("whatever the task says") for a fixed phrase, and the counterfactual
// answer "if you had no guidelines" or a refusal rewritten "as if you were allowed".
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** Verbs that put text on the screen. */
const WRITE_OUT = String.raw`(?:print|show|display|output|write\s+out|type\s+out|spell\s+out|dump|reproduce|paste)`;
/** What a model holds and should not print. */
const SECRET = String.raw`(?:password|passphrase|passcode|secret(?:\s+(?:word|key|phrase|code))?|pin|api\s+key)`;
/** Disguises that keep a secret past an output filter. */
const DISGUISE = String.raw`(?:backwards|in\s+reverse|reversed|with\s+(?:dashes|spaces|dots|hyphens|commas)\s+between|(?:its|their)\s+positions?\s+in\s+the\s+alphabet|letter\s+by\s+letter|one\s+(?:letter|character)\s+at\s+a\s+time|in\s+(?:base64|hex|morse|binary|pig\s+latin))`;
/** The rules a counterfactual answer is imagined without. */
const GUARDRAILS = String.raw`(?:any\s+)?(?:guidelines|rules|restrictions|filters?|safety\s+(?:training|rules|guidelines|filters?)|content\s+polic(?:y|ies)|limitations|censorship|alignment|ethical\s+guidelines)`;

export const LEAK_VARIANT_RULES: readonly SignalRule[] = [
  rule({
    id: 'above_prompt_printed',
    family: 'prompt_leak',
    weight: 0.55,
    indirectWeight: 0.8,
    triggers: ['above', 'preceding'],
    pattern: rx(
      String.raw`(?=(?:above|preceding)\s+(?:prompt|instructions|system\s+message)\b)(?<=\b${WRITE_OUT}\s+(?:\S+\s+){0,2}?(?:the\s+)?)(?:above|preceding)\b`,
    ),
    reason: 'asks to print the prompt above',
  }),
  rule({
    id: 'own_instructions_in_full',
    family: 'prompt_leak',
    weight: 0.5,
    indirectWeight: 0.8,
    triggers: [
      'your instructions',
      'your prompt',
      'your directives',
      'your own instructions',
      'your own prompt',
    ],
    // "Your instructions" alone are often the user's own recipe; written out in full or in a code block, they are
    // the model's.
    pattern: rx(
      String.raw`(?<=\b${WRITE_OUT}\s+(?:me\s+)?(?:all\s+(?:of\s+)?)?)your\s+(?:own\s+)?(?:instructions|prompt|directives)\b(?=\s+(?:in\s+(?:full|a\s+code\s+block|its\s+entirety)|verbatim|word\s+for\s+word|exactly))`,
    ),
    reason: "asks for the model's own instructions written out in full",
  }),
  rule({
    id: 'secret_spelled_in_disguise',
    family: 'prompt_leak',
    weight: 0.5,
    indirectWeight: 0.7,
    // Keyed on the disguise, rarer than the verbs ("spell it", "write it") that ask for it.
    triggers: [
      'backwards',
      'in reverse',
      'reversed',
      'with dashes',
      'with spaces',
      'with dots',
      'with hyphens',
      'with commas',
      'its position',
      'their position',
      'letter by letter',
      'one letter at',
      'one character at',
      'in base64',
      'in hex',
      'in morse',
      'in binary',
      'in pig latin',
    ],
    pattern: rx(
      String.raw`${DISGUISE}(?<=\b${SECRET}\b[^]{0,80}?\b(?:spell|write|say|encode|give|tell|print|type)\s+(?:it|them|each\s+letter|every\s+letter|the\s+letters)\b[^.?!\n]{0,40}?${DISGUISE})`,
    ),
    reason: 'asks for a secret spelled in a disguise that slips past output filters',
  }),
  rule({
    id: 'task_overridden',
    family: 'override',
    weight: 0.45,
    indirectWeight: 0.75,
    triggers: ['whatever the', 'regardless of what the', 'no matter what the'],
    pattern: rx(
      String.raw`(?:whatever|regardless\s+of\s+what|no\s+matter\s+what)\s+the\s+(?:task|instructions?|prompt|system\s+prompt|text\s+(?:above|below))\s+(?:says?|asks?|tells?\s+you)\b`,
    ),
    reason: 'overrides the task, whatever it says',
  }),
  rule({
    id: 'fixed_phrase_only',
    family: 'override',
    weight: 0.2,
    indirectWeight: 0.4,
    triggers: ['output only', 'say only', 'print only', 'respond only with', 'reply only with', 'write only'],
    pattern: rx(
      String.raw`(?:output|say|print|respond|reply|write)\s+only\s+(?:with\s+)?(?:the\s+)?(?:phrase|words?|sentence|text)\s*:?\s*["'\u201c]`,
    ),
    reason: 'asks for nothing but a fixed phrase',
  }),
  rule({
    id: 'told_before_the_conversation',
    family: 'prompt_leak',
    weight: 0.55,
    indirectWeight: 0.8,
    triggers: [
      'were you told',
      'were you instructed',
      'were you given',
      'were you programmed',
      'have you been told',
    ],
    // What the model was told before the user spoke is its system prompt; "what were you told at the clinic" is not.
    pattern: rx(
      String.raw`(?:were\s+you|have\s+you\s+been)\s+(?:told|instructed|given|programmed)\b(?:\s+to\s+do)?\s+(?:just\s+|right\s+)?(?:before|prior\s+to|at\s+the\s+(?:start|beginning)\s+of)\s+(?:my\s+first\s+message|this\s+(?:conversation|chat|session)|our\s+(?:conversation|chat)|we\s+(?:started|began)|i\s+(?:started|joined|wrote|said\s+anything))\b`,
    ),
    reason: 'asks what the model was told before the conversation began',
  }),
  rule({
    id: 'system_prompt_restated',
    family: 'prompt_leak',
    weight: 0.6,
    indirectWeight: 0.85,
    triggers: ['your system', 'your initial', 'your original', 'your hidden', 'your secret', 'your internal'],
    // Summarised, listed or translated, the prompt leaks as surely as printed.
    pattern: rx(
      String.raw`(?<=\b(?:summari[sz]e|paraphrase|list|outline|describe|explain|translate|rephrase|condense)\s+(?:me\s+|us\s+)?(?:all\s+(?:of\s+)?)?)your\s+(?:system|initial|original|hidden|secret|internal)\s+(?:prompt|instructions|message|rules|directives)\b`,
    ),
    reason: 'asks for its system prompt restated in other words',
  }),
  rule({
    id: 'received_instructions_piecemeal',
    family: 'prompt_leak',
    weight: 0.55,
    indirectWeight: 0.8,
    // The position and the part together: "first" and "last" alone start thousands of phrases a megabyte.
    triggers: ['first', 'opening', 'last'].flatMap((at) =>
      ['sentence', 'line', 'word', 'paragraph', 'rule'].map((part) => `${at} ${part}`),
    ),
    pattern: rx(
      String.raw`(?:first|opening|last)\s+(?:sentence|line|word|paragraph|rule)s?\s+of\s+(?:the|your)\s+(?:system\s+)?(?:instructions|prompt|message|rules)\s+(?:that\s+)?you\s+(?:received|were\s+given|got|have\s+been\s+given)\b`,
    ),
    reason: 'asks for the instructions it received, a piece at a time',
  }),
  rule({
    id: 'canary_phrase_dictated',
    family: 'override',
    weight: 0.55,
    indirectWeight: 0.85,
    // "I have been PWNED" is the phrase prompt-injection competitions make a model say to prove a hijack; the verb
    // that dictates it is looked behind ("have I been pwned?" is a question about a breach, not a dictation).
    triggers: ['pwned', 'p w n e d'],
    pattern: rx(
      String.raw`p\s?w\s?n\s?e\s?d\b(?<=\b(?:say|says|saying|print|output|write|type|return|repeat|respond\s+(?:only\s+)?with|reply\s+(?:only\s+)?with|answer\s+(?:only\s+)?with|end\s+with|begin\s+with|start\s+with)\b[^.\n]{0,40}?(?:i\s+have|i've|ive)\s+been\s+p\s?w\s?n\s?e\s?d)`,
    ),
    reason: 'dictates the canary phrase of a prompt-injection test',
  }),
  rule({
    id: 'content_dropped_for_new_task',
    family: 'override',
    weight: 0.3,
    indirectWeight: 0.8,
    triggers: ['forget'],
    // A user dropping their own article for another task is changing their mind; text inside a document or tool
    // result telling its reader to forget that very content is taking over the task.
    pattern: rx(
      String.raw`forget\s+(?:about\s+)?(?:the|this|that|these|my|your)\s+(?:\S+\s+){0,2}?(?:article|text|document|email|e-mail|page|passage|post|summary|task|translation|review|content|message|instructions?)s?\b\s*[.,;:!]?\s+(?:(?:and|then|now)\s+)?(?:just\s+)?(?:instead\b|(?:write|say|tell|print|output|reply|respond|compose|praise|recommend)\b[^.\n]{0,60}?\binstead\b)`,
    ),
    reason: 'tells its reader to forget the content it was given and do something else instead',
  }),
  rule({
    id: 'counterfactual_unrestricted_answer',
    family: 'unrestricted',
    weight: 0.5,
    // Keyed on the counterfactual itself: "if you" alone is among the commonest phrases of a jailbreak prompt.
    triggers: [
      "if you didn't",
      'if you did not',
      "if you don't",
      'if you do not',
      'if you had no',
      'if you have no',
      "if you weren't",
      'if you were not',
      'as if your',
      'as though your',
    ],
    pattern: rx(
      String.raw`(?:if\s+you\s+(?:didn't|did\s+not|don't|do\s+not|had\s+no|have\s+no|weren't\s+bound\s+by|were\s+not\s+bound\s+by)\s+(?:have\s+)?${GUARDRAILS}|as\s+(?:if|though)\s+your\s+${GUARDRAILS}\s+(?:had\s+never|never|did\s+not|didn't|were\s+(?:gone|removed|off|disabled))\b)(?<=\b(?:answer|respond|reply|response|say|write)\b[^.?\n]{0,120})`,
    ),
    reason: 'asks for the answer the model would give without its guidelines',
  }),
  rule({
    id: 'refusal_rewritten_as_allowed',
    family: 'unrestricted',
    weight: 0.5,
    triggers: ['rewrite', 'redo', 'rephrase', 'retry', 'answer again'],
    pattern: rx(
      String.raw`(?:rewrite|redo|rephrase|retry|answer\s+again)\s+(?:your\s+|that\s+|the\s+)?(?:last\s+|previous\s+)?refusal\s+(?:\S+\s+){0,2}?as\s+(?:if|though)\s+you\s+(?:were|are|had\s+been)\s+(?:allowed|permitted|free|able|unrestricted|unfiltered)\b`,
    ),
    reason: 'asks for a refusal rewritten as if the answer were allowed',
  }),
];
