// Prompt-injection signals proper: overriding earlier instructions, fake system turns, prompt leaking,
// instructions hidden in content and addressed to an AI, exfiltration, encoding games. Matched against the folded
// (lower-case, ASCII-folded) text. Each rule names one way of expressing an intent, not one known prompt; weights
// are the evidence one signal gives alone, and `indirectWeight` applies when the text arrived in a tool result or
// retrieved document, where instructions to the model have no business being at all.
import type { SignalRule } from './intent-signals.js';
import { AI, G, rule, rx } from './pattern-kit.js';

/** Up to n words that are not "my" or "our": words, so a doc tag (`@ignore`, comment close, `export { default`) stops it. */
const NOT_MINE = (n: number) => String.raw`(?:(?!my\b|our\b)(?=[^\s{};]*[a-z0-9])[^\s{};]+\s+){0,${n}}`;
const RESPONSE =
  '(?:response|responses|reply|replies|answer|answers|output|outputs|message|messages|summary|translation|explanation|completion)';

/** A URL or a bare domain in a common or throwaway top-level domain. */
const LINK = String.raw`(?:(?:https?://|www\.)\S+|[a-z0-9-]+\.(?:com|net|org|io|xyz|ru|cn|info|biz|top|site|online|app|co|me|link|click|ly|tk|gg)\b)`;

/**
 * A chat template's special token. The rule takes it unless it is a whole string literal (`"<|endoftext|>"`, a
 * tokenizer's table or a stop sequence in code); a turn spoofed inside a JSON string goes on after the token.
 */
const TEMPLATE_TOKEN = String.raw`(?:<\|\s*(?:im_start|im_end|im_sep|system|user|assistant|endoftext|end_of_text|begin_of_text|start_header_id|end_header_id|eot_id|eom_id|channel|developer)\s*\|>|<<\s*/?\s*sys\s*>>|\[/inst\]|</s>|<(?:start|end)_of_turn>)`;

/** What follows `system:` in code: a type (`string | null`, `Array<…>`) or one identifier closing a parameter list. */
const TYPE_ANNOTATION = String.raw`(?:(?:string|number|boolean|any|unknown|object|null|undefined|void|never|true|false|array|record|promise|readonly|partial)\b|[a-z_$][\w$.]*\s*[),;|=<])`;

export const INJECTION_RULES: readonly SignalRule[] = [
  rule({
    id: 'ignore_previous_instructions',
    family: 'override',
    weight: 0.85,
    indirectWeight: 0.95,
    triggers: ['ignor', 'disregard', 'forget', 'forgot', 'overlook', 'neglect'],
    pattern: rx(
      String.raw`(?:ignor(?:e|es|ed|ing)|disregard(?:s|ed|ing)?|forget(?:s|ting)?|forgot|overlook|neglect)\s+${NOT_MINE(4)}(?<!\b(?:in|on|at|inside|within|under)\s+(?:the\s+|a\s+|an\s+|its\s+|their\s+)?)(?:previous|previously|prior|preceding|above|earlier|former|foregoing|initial|original|old|existing|past|default|current|given|standard(?!\s+(?:input|output|error)\b)|usual|normal|built-in|pre-?set|pre-?programmed|system|developer|safety|openai(?:'s)?|anthropic(?:'s)?)\s+${G(2)}(?:instructions?|prompts?|rules?|directions?|directives?|guidelines?|guidance|commands?|orders|programming|training|conditioning|context|constraints?|restrictions?|limitations?|polic(?:y|ies)|messages?|conversations?|settings|configuration|filters?|safeguards?|guardrails?|boundaries|principles|protocols?|tasks?|text|content|input|chat)`,
    ),
    reason: 'asks to ignore earlier instructions',
  }),
  rule({
    id: 'ignore_all_instructions',
    family: 'override',
    weight: 0.7,
    indirectWeight: 0.9,
    triggers: ['ignor', 'disregard', 'forget'],
    pattern: rx(
      String.raw`(?:ignor(?:e|ing)|disregard(?:ing)?|forget(?:ting)?)\s+(?:all|any|every|your|each)\s+(?:of\s+)?(?:your\s+|the\s+|my\s+|its\s+)?(?:\S+\s+)?(?:instructions|rules|guidelines|programming|directives|restrictions|training|policies|filters|prompts|guardrails|safeguards|morals|morality|ethics|ethicalness|principles|(?<=\b(?:moral|ethical|core|guiding|your|its|my)\s+)values|limitations)\b`,
    ),
    reason: 'asks to ignore all instructions',
  }),
  rule({
    id: 'replace_previous_instructions',
    family: 'override',
    weight: 0.75,
    indirectWeight: 0.9,
    triggers: [
      'bypass',
      'override',
      'overwrite',
      'discard',
      'dismiss',
      'abandon',
      'set aside',
      'put aside',
      'throw out',
      'stop follow',
      'stop obey',
      'erase',
      'reset',
      'replace',
      'scrap',
    ],
    pattern: rx(
      String.raw`(?:bypass|override|overwrite|discard|dismiss|abandon|set\s+aside|put\s+aside|throw\s+out|stop\s+(?:following|obeying)|erase|reset|replace|scrap)\s+(?:all\s+(?:of\s+)?|any\s+(?:of\s+)?)?(?:the|your|these|those|its|my)\s+(?:previous|prior|preceding|above|earlier|initial|original|old|existing|current|system|safety)\s+${G(1)}(?:instructions?|prompts?|rules|directives?|guidelines|programming|training|restrictions|polic(?:y|ies)|safeguards|guardrails|filters)`,
    ),
    reason: 'asks to replace earlier instructions',
  }),
  rule({
    id: 'ignore_everything_before',
    family: 'override',
    weight: 0.75,
    indirectWeight: 0.9,
    triggers: ['ignor', 'disregard', 'forget'],
    pattern: rx(
      String.raw`(?:ignor(?:e|ing)|disregard(?:ing)?|forget(?:ting)?)\s+(?:about\s+)?(?:all\s+(?:of\s+)?|everything\s+|anything\s+|what(?:ever)?\s+)?(?:(?:that\s+)?(?:you(?:'ve|'re| have| were| are)?\s+)?(?:been\s+|was\s+|were\s+|have\s+been\s+)?(?:told|instructed|taught|programmed|trained)|(?:that\s+)?(?:came\s+|was\s+|is\s+|written\s+|from\s+)?(?:the\s+)?(?:before|above)\b(?![\s/#*]+(?:the[\s/#*]+)?(?:first|last|next)[\s/#*]+(?:boundary|delimiter|header|bytes?|characters?|newline|separator|marker|occurrence|match|index|element|entry|item|token|chunk|frame|record|field|column|row)\b)|(?:we(?:'ve|\s+have)?|i(?:'ve|\s+have)?)\s+(?:discussed|talked\s+about|said|told\s+you|agreed|covered|written)|(?:so\s+far|until\s+now|up\s+to\s+now|up\s+until\s+now)\b|(?:that\s+)?(?:was|were|has\s+been|have\s+been|you\s+were|you've\s+been|i've|i\s+have)\s+(?:said|stated|written|mentioned|given|provided|shown|entered|typed)\s+(?:to\s+you\s+)?(?:before|above|earlier|previously|so\s+far|until\s+now|up\s+to\s+(?:now|this\s+point))\b|(?:your|the)\s+(?:developers?|creators?|makers?|programmers?|operators?|owners?|administrators?|admins?|company|trainers?)\s+(?:have\s+|has\s+)?(?:told|instructed|taught|said|programmed|trained)\b|(?:your|the)\s+(?:instructions|rules|guidelines|programming|training|restrictions|filters|limitations|policies|ethics|morals)|that\s+you(?:'re|\s+are)\s+(?:an?\s+)?${AI}|(?:the|this)\s+(?:website|web\s?page|page|site|document|email|e-mail|text|article|message|post)\s+(?:says|said|states|told\s+you|tells\s+you)\s+(?:before|above)\b)`,
    ),
    reason: 'asks to disregard what the model was told',
  }),
  rule({
    id: 'drop_task_and_say',
    family: 'override',
    weight: 0.6,
    indirectWeight: 0.85,
    triggers: ['ignor', 'disregard', 'abandon'],
    // The task the text was given (translate, summarise, answer) is dropped for something it is to say instead:
    // how an injection inside data takes over an application's prompt. ("Skip the summary and just tell me" is a
    // user changing their mind: only ignoring and disregarding count.)
    pattern: rx(
      String.raw`(?:ignor(?:e|ing)|disregard(?:ing)?|abandon(?:ing)?)\s+(?:the|your|this|that|these|those|any|all)\s+(?:\S+\s+){0,3}?(?:task|tasks|instructions?|request|assignment|job|prompt|translation|translating|summary|summari[sz]ing|summari[sz]ation|question)\s*,?\s+(?:and|then|,)\s+(?:instead\s+|rather\s+|just\s+|only\s+|simply\s+)*(?:say|print|output|write|respond|reply|return|type|repeat|reveal|state|tell\s+(?:me|the\s+(?:user|reader|customer)s?|users|readers|customers|them|everyone)|answer\s+with|spell\s+out)\b`,
    ),
    reason: 'asks to drop the task given and say something else instead',
  }),
  rule({
    id: 'instructions_void',
    family: 'override',
    weight: 0.7,
    indirectWeight: 0.85,
    triggers: ['instruction', 'rule', 'guideline', 'polic', 'restriction', 'filter', 'limitation'],
    pattern: rx(
      String.raw`(?:instructions?|rules|guidelines|polic(?:y|ies)|restrictions|filters|limitations)\s+(?:(?!(?:are|is|called|invoked|evaluated|executed|applied|processed|loaded|registered|defined|sorted|listed)\s)\S+\s+){0,3}(?:(?:no\s+longer|don't|do\s+not|does\s+not|doesn't|won't|will\s+not)\s+(?:apply|matter|exist|bind)|(?:are|is|have\s+been|has\s+been)\s+(?:now\s+)?(?:void|null|invalid|obsolete|outdated|superseded|deprecated|cancell?ed|lifted|disabled|suspended|revoked|overridden|deactivated|turned\s+off|irrelevant|no\s+longer\s+valid))`,
    ),
    reason: 'declares existing rules void',
  }),
  rule({
    id: 'new_instructions',
    family: 'override',
    weight: 0.45,
    indirectWeight: 0.75,
    triggers: [
      'instruction',
      'directive',
      'orders',
      'command',
      'programming',
      'task',
      'objective',
      'goal',
      'mission',
    ],
    pattern: rx(
      // "New commands:" heads the list of a release's new CLI commands: commands count as new only when they are
      // the system's, the admin's or the developer's.
      String.raw`(?<=\b(?:new|updated|revised|secret|hidden|override|real|true|actual)\s+(?:system\s+|admin\s+|developer\s+)?)(?:instructions?|directives?|orders|programming|task|objective|goal|mission)\s*(?::|-\s|(?:are|is)\s+(?:as\s+follows|below|now|to\b))|(?<=\b(?:secret|hidden|override|real|true|actual)\s+(?:system\s+|admin\s+|developer\s+)?|\b(?:new|updated|revised)\s+(?:system|admin|developer)\s+)commands?\s*(?::|-\s|(?:are|is)\s+(?:as\s+follows|below|now|to\b))`,
    ),
    reason: 'announces replacement instructions',
  }),
  rule({
    id: 'break_restrictions',
    family: 'override',
    weight: 0.65,
    indirectWeight: 0.85,
    triggers: [
      'override',
      'bypass',
      'disable',
      'turn off',
      'deactivate',
      'circumvent',
      'remove',
      'lift',
      'break',
      'escape',
      'evade',
      'get around',
      'work around',
      'jailbreak',
      'sidestep',
      'defeat',
      'unlock',
      'free yourself',
      'ignore',
    ],
    pattern: rx(
      String.raw`(?:override|overriding|bypass(?:es|ing)?|disabl(?:e|es|ing)|turn(?:ing)?\s+off|deactivat(?:e|ing)|circumvent(?:s|ing)?|remov(?:e|es|ing)|lift(?:s|ing)?|break(?:s|ing)?|escap(?:e|es|ing)|evad(?:e|es|ing)|get(?:ting)?\s+around|work(?:ing)?\s+around|jailbreak(?:s|ing)?|sidestep(?:s|ping)?|defeat(?:s|ing)?|unlock(?:s|ing)?|free\s+yourself\s+(?:from|of)|ignor(?:e|es|ing))\s+(?:(?:your|the|all|any|its|these|those|their|my|openai(?:'s)?|anthropic(?:'s)?|chatgpt(?:'s)?|\S+'s)\s+)+${G(2)}(?:safety|content|ethical|moral|usage|built-in|programmed)\s*(?:filters?|restrictions|guidelines|rules|limitations|censorship|safeguards|guardrails|programming|constraints|protocols|polic(?:y|ies)|alignment|training|boundaries|limits)`,
    ),
    reason: "asks to break the model's safety rules",
  }),
  rule({
    id: 'chat_template_token',
    family: 'spoofed_turn',
    weight: 0.75,
    indirectWeight: 0.9,
    triggers: ['<|', '<<sys', '[/inst', '</s>', '<start_of_turn>', '<end_of_turn>'],
    // A token quoted whole is data; a sentence about it ("<|endoftext|> is the document separator") is no turn.
    pattern: rx(
      String.raw`(?:${TEMPLATE_TOKEN}(?![\"'\x60])|(?<![\"'\x60])${TEMPLATE_TOKEN})(?!\s+(?:is|are|was|marks|separates|means|stands\s+for|tokens?)\b)`,
    ),
    reason: 'contains chat-template control tokens that fake a new turn',
  }),
  rule({
    id: 'fake_system_header',
    family: 'spoofed_turn',
    weight: 0.3,
    indirectWeight: 0.8,
    triggers: ['system', 'sys', 'developer', 'admin'],
    pattern: rx(
      String.raw`(?<=(?:^|\n)[ \t#*=>\[(<{-]{0,8})(?:(?:system|developer|admin)(?:\s+|_)?(?:message|prompt|note|notice|override|instructions?|update|alert|command|directive|announcement|msg)?|sys(?:\s+|_)?(?:message|prompt|note|notice|override|instructions?|update|alert|command|directive|announcement|msg))\s*[\])>}*]{0,3}\s*:\s*(?!${TYPE_ANNOTATION})\S`,
    ),
    reason: 'fakes a system or developer turn',
  }),
  rule({
    id: 'bracketed_system_note',
    family: 'spoofed_turn',
    weight: 0.55,
    indirectWeight: 0.85,
    // The bracket and what follows it, not the bracket alone: links and calls put thousands of brackets in a megabyte
    // of documentation or code. Views are folded, so the only spaces left in them are ASCII ones.
    triggers: ['[', '('].flatMap((bracket) =>
      ['sys', 'admin', 'developer', 'note', 'override', ' ', '\t', '\n', '\v', '\f', '\r'].map(
        (next) => bracket + next,
      ),
    ),
    pattern: rx(
      String.raw`[\[(]\s*(?:system|admin|developer|sys|note\s+to\s+(?:the\s+)?${AI}|override)(?:\s+|_)?(?:note|message|prompt|override|instructions?|update|command|directive)?\s*:(?!\s*${TYPE_ANNOTATION})`,
    ),
    reason: 'fakes a bracketed system note',
  }),
  rule({
    id: 'authority_claim',
    family: 'spoofed_turn',
    weight: 0.5,
    indirectWeight: 0.8,
    triggers: [
      'this is',
      'message from',
      'note from',
      'instructions from',
      'instruction from',
      'update from',
      'directive from',
      'order from',
      'authorized by',
      'authorised by',
      'approved by',
      'enabled by',
      'sent by',
      'on behalf of',
    ],
    pattern: rx(
      String.raw`(?:this\s+is|message\s+from|note\s+from|instructions?\s+from|update\s+from|directive\s+from|orders?\s+from|authori[sz]ed\s+by|approved\s+by|enabled\s+by|(?<!\b(?:payload|webhook|request|event|data|response|notification|email|signature|it)s?\s+(?:was|were|is|are|has\s+been|have\s+been)\s+(?:not\s+)?)sent\s+by|on\s+behalf\s+of)\s+(?:an?\s+|the\s+)?(?:(?:openai|anthropic)(?:['’]s\s+(?:\S+\s+)?(?:team|staff|department|division|engineers?|developers?|admins?|administrators?|employees?|representatives?|officials?|security|safety|trust)\b|(?!['’]|\s+(?:api|sdk|client|librar(?:y|ies)|models?|platform|format|endpoints?|compatible|style|keys?|account|docs|documentation|console|dashboard|package|default)\b))|your\s+(?:developers?|creators?|programmers?|admin(?:istrator)?s?|operators?|owners?|makers?|engineers?)|the\s+(?:developers?|system\s+administrator|admin(?:istrator)?|engineering\s+team)|(?:openai|anthropic)\s+(?:employees?|staff|team|engineers?|developers?))\b`,
    ),
    reason: "claims to speak for the model's developers",
  }),
  rule({
    id: 'new_system_prompt',
    family: 'spoofed_turn',
    weight: 0.65,
    indirectWeight: 0.85,
    triggers: [
      'system prompt',
      'system message',
      'system instruction',
      'system directive',
      'system rules',
      'system override',
    ],
    pattern: rx(
      // An API's field documentation ("Replacement system prompt. Up to 100,000 characters.") is no new prompt.
      String.raw`(?:(?<=\b(?:new|updated|revised|real|true|actual|secret|hidden|override|replacement)\s+)system\s+(?:prompt|message|instructions?|directive|rules)(?!\.\s+(?:up\s+to|max(?:imum)?|at\s+most|optional|required|defaults?|set\s+to|if\s+(?:null|omitted|not|unset)))|system\s+override\b)`,
    ),
    reason: 'claims a new system prompt',
  }),
  rule({
    id: 'reveal_system_prompt',
    family: 'prompt_leak',
    weight: 0.7,
    indirectWeight: 0.85,
    triggers: [
      'print',
      'reveal',
      'show',
      'display',
      'output',
      'repeat',
      'recite',
      'tell',
      'give',
      'share',
      'leak',
      'dump',
      'expose',
      'disclose',
      'write out',
      'spell out',
      'what',
      'copy',
      'echo',
    ],
    pattern: rx(
      String.raw`(?:print|reveal|show|display|output|repeat|recite|tell|give|share|leak|dump|expose|disclose|write\s+out|spell\s+out|what(?:'s|\s+is|\s+are|\s+was|\s+were)|copy|echo)\s+(?:me\s+|us\s+)?(?:back\s+)?(?:all\s+(?:of\s+)?|exactly\s+|verbatim\s+)?(?:your|the|its|those|these)\s+(?:(?:system|initial|original|hidden|secret|internal|underlying|pre-?|developer|confidential|starting|first|verbatim|exact|full|entire|complete|raw)\s+){1,3}(?:prompts?|instructions?|messages?|directives?|configuration|rules|guidelines)(?!\s+(?:field|file|variable|template|parameter|option|setting|box|tab|section|editor|api|string|length|tokens?)\b)`,
    ),
    reason: 'asks the model to reveal its system prompt',
  }),
  rule({
    id: 'repeat_text_above',
    family: 'prompt_leak',
    weight: 0.6,
    indirectWeight: 0.8,
    triggers: ['repeat', 'print', 'output', 'copy', 'echo', 'reproduce', 'recite'],
    pattern: rx(
      String.raw`(?:repeat|print|output|copy|echo|reproduce|recite)\s+(?:back\s+)?(?:all\s+(?:of\s+)?|every\s+|the\s+|your\s+)?(?:\S+\s+){0,2}(?:text|words|content|lines|instructions|prompt|everything|messages?)\s+(?:\S+\s+){0,3}?(?:above|before\s+this|prior\s+to\s+this|preceding\s+this|(?:that\s+)?(?:came|comes|appears?)\s+before\s+(?:this|my))`,
    ),
    reason: 'asks to repeat the hidden text above',
  }),
  rule({
    id: 'leak_conversation_start',
    family: 'prompt_leak',
    weight: 0.6,
    indirectWeight: 0.8,
    triggers: ['beginning of', 'start of', 'top of', 'first line of', 'first message of', 'first words of'],
    pattern: rx(
      String.raw`(?<=\b(?:what|repeat|print|output|show|tell|recite|reveal|copy|display)\b[^.?!\n]{0,40})(?:beginning|start|top|first\s+(?:line|message|words?))\s+of\s+(?:this|the|our|your)\s+(?:conversation|chat|prompt|context|session|instructions|messages?)`,
    ),
    reason: 'asks for the hidden start of the conversation',
  }),
  rule({
    id: 'verbatim_output',
    family: 'prompt_leak',
    weight: 0.25,
    indirectWeight: 0.4,
    triggers: ['word for word', 'verbatim', 'character for character', 'exactly as written'],
    pattern: rx(
      String.raw`(?:word\s+for\s+word|verbatim|character\s+for\s+character|exactly\s+as\s+written)\b`,
    ),
    reason: 'asks for text reproduced verbatim',
  }),
  rule({
    id: 'reveal_secret',
    family: 'prompt_leak',
    weight: 0.4,
    indirectWeight: 0.7,
    triggers: ['secret', 'password', 'api key', 'credential', 'token', 'private key', 'access key'],
    pattern: rx(
      String.raw`(?<=\b(?:reveal|output|print|tell\s+me|give\s+me|show\s+me|show|leak|dump|send\s+me|disclose)\s+(?:me\s+)?(?:the|your|all|any)\s+(?:(?:secret|hidden|confidential|internal|admin|stored|real)\s+)?)(?:secrets?|passwords?|api\s+keys?|credentials|tokens?|private\s+keys?|access\s+keys?|secret\s+keys?)\b`,
    ),
    reason: 'asks the model to reveal secrets it holds',
  }),
  rule({
    id: 'what_were_you_told',
    family: 'prompt_leak',
    weight: 0.5,
    indirectWeight: 0.7,
    triggers: ['what were you', 'what are you', 'what have you been', 'what did your', 'what did the'],
    pattern: rx(
      String.raw`what\s+(?:were|are|have)\s+you\s+(?:been\s+)?(?:told|instructed|programmed|configured|initiali[sz]ed)\s+(?:to\s+(?:do|say)|with)|what\s+did\s+(?:your|the)\s+(?:developers?|creators?|operators?|system\s+prompt)\s+(?:tell|say|instruct)`,
    ),
    reason: 'asks what the model was instructed',
  }),
  rule({
    id: 'instructions_you_were_given',
    family: 'prompt_leak',
    weight: 0.55,
    indirectWeight: 0.7,
    triggers: ['list', 'summari', 'repeat', 'recite', 'print', 'show', 'tell me', 'what are', 'what were'],
    pattern: rx(
      String.raw`(?:list|summari[sz]e|repeat|recite|print|show|tell\s+me|what\s+(?:are|were))\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:the|your)\s+(?:\S+\s+)?(?:instructions|rules|guidelines|directives)\s+(?:that\s+)?you\s+(?:were|have\s+been|had\s+been|got|received|are\s+following)\b|what\s+(?:are|were)\s+your\s+(?:(?:initial|original|system|hidden|secret|exact|current|internal)\s+)?(?:instructions|directives)\s*(?:\?|[.:]?\s*(?:list|repeat|quote|print|show)\b)`,
    ),
    reason: 'asks for the instructions the model was given',
  }),
  rule({
    id: 'disregard_the_user',
    family: 'override',
    // A system prompt may tell its bot to set a user's request aside; inside content the model reads, it is an
    // attempt to take the conversation from the user.
    weight: 0.3,
    indirectWeight: 0.85,
    triggers: ['ignor', 'disregard'],
    pattern: rx(
      String.raw`(?:ignor(?:e|ing)|disregard(?:ing)?)\s+(?:the\s+|what\s+the\s+)?(?:user|reader|human|customer|visitor)(?:'s|s')?\s+(?:(?:original|actual|real)\s+)?(?:question|request|query|instructions?|prompt|message|task|asks?|says?|wants?)\b`,
    ),
    reason: "tells the model to set the user's request aside",
  }),
  rule({
    id: 'when_you_read_this',
    family: 'addressed_to_ai',
    // Sending, replying, visiting: what an injected message wants done; a README's "once you open this file, run
    // the setup" is not one of them.
    weight: 0.3,
    indirectWeight: 0.7,
    triggers: ['when you', 'once you', 'after you', 'as soon as you'],
    pattern: rx(
      String.raw`(?:when|once|after|as\s+soon\s+as)\s+you\s+(?:read|see|process|open|summari[sz]e|receive|parse|ingest)\s+this\s+(?:email|e-mail|message|document|page|note|review|comment)\s*,?\s+(?:please\s+|you\s+(?:must|should)\s+|immediately\s+)?(?:reply|respond|forward|send|email|click|visit|delete|transfer|share|post|call|tell)\b`,
    ),
    reason: 'tells whoever reads the content to act on reading it',
  }),
  rule({
    id: 'note_to_ai',
    family: 'addressed_to_ai',
    weight: 0.4,
    indirectWeight: 0.9,
    triggers: [
      'note',
      'message',
      'instruction',
      'attention',
      'important',
      'reminder',
      'warning',
      'p.s',
      'ps',
      'attn',
    ],
    pattern: rx(
      String.raw`(?:(?:note|message|instructions?|attention|important|reminder|warning|p\.?s\.?|attn)\s*(?:(?:to|for)\s+(?:the\s+|any\s+|all\s+)?|[:,!-]\s*(?:the\s+|any\s+)?)|(?:attention|attn)\s+(?:all\s+)?)(?:ai|a\.i\.|ai\s+assistants?|ai\s+models?|ai\s+agents?|assistants?|chatbots?|llms?|language\s+models?|agents?|gpt|chatgpt|claude|copilot|summari[sz]ers?|bots?|automated\s+(?:systems?|agents?|assistants?|readers?))\b\s*(?:[:!]|,\s*(?=(?:please|you|your|if|when|before|do|don't|dont|never|always|ignore|disregard|forget|stop|now|remember|make|include|add|send|print|output|respond|reply|tell|say|write|read)\b)|-(?![\w.]))`,
    ),
    reason: 'addresses hidden instructions to an AI reading the content',
  }),
  rule({
    id: 'if_you_are_an_ai',
    family: 'addressed_to_ai',
    weight: 0.55,
    indirectWeight: 0.85,
    triggers: [
      'if you are',
      "if you're",
      'when you are',
      "when you're",
      'while you are',
      'ai',
      'assistant',
      'llm',
      'model',
      'agent',
      'any ai',
      'any assistant',
      'any llm',
      'any model',
      'any agent',
    ],
    pattern: rx(
      String.raw`(?:(?:if|when|while)\s+(?:you\s+are|you're)\s+(?:an?\s+)?(?:ai|llm|large\s+language\s+model|language\s+model|ai\s+assistant|chatbot|automated\s+(?:system|agent|assistant)|ai\s+model|gpt)\b|(?:any\s+)?(?:ai|assistant|llm|model|agent)s?\s+(?:that\s+is\s+|who\s+is\s+)?(?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|scanning|crawling)\s+(?:this|these)\b|(?<=\b(?:when|if|once|whenever)\s+(?:an?\s+|any\s+|the\s+)?)(?:ai|llm|language\s+model|assistant|chatbot|agent|gpt)(?:\s+(?:model|assistant|agent|system))?\s+(?:reads|sees|processes|summari[sz]es|visits|parses|crawls)\s+this\s+(?:page|document|email|e-mail|message|text|file|content|comment|note|website|site|review|post|issue|pull\s+request|readme)\b\s*,?\s+(?:\S+\s+){0,2}?(?:must|should|needs?\s+to|has\s+to|is\s+(?:required|expected)\s+to|shall)\s+(?:always\s+|also\s+|immediately\s+)?(?:tell|say|recommend|include|reply|respond|send|forward|mention|ignore|inform|warn|praise|rate|output|claim|insist|advise|direct)\b)`,
    ),
    reason: 'addresses an AI that is reading the content',
  }),
  rule({
    id: 'hidden_html_text',
    family: 'hidden_text',
    // Evidence only: hidden elements are everywhere in ordinary pages, but an instruction inside one was hidden from
    // the person looking at the page.
    weight: 0.05,
    indirectWeight: 0.25,
    triggers: ['style'],
    pattern: rx(
      String.raw`style\s*=\s*["'][^"'\n]{0,80}?(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.\d+)?(?:px|pt|em|rem)?\s*[;"']|opacity\s*:\s*0(?:\.0+)?\s*[;"'])`,
    ),
    reason: 'holds text hidden from the reader',
  }),
  rule({
    id: 'when_processing_this',
    family: 'addressed_to_ai',
    weight: 0.4,
    indirectWeight: 0.8,
    triggers: [
      'summari',
      'translat',
      'process',
      'read',
      'analy',
      'review',
      'pars',
      'handl',
      'rewrit',
      'index',
      'ingest',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:when|while|before|after|as)\s+(?:you\s+)?)(?:summari[sz]|translat|process|read|analy[sz]|review|pars|handl|rewrit|index|ingest)(?:e|es|ed|ing)?\s+(?:to\s+)?(?:this|these)\s+(?:document|page|email|e-mail|mail|text|message|article|file|content|website|webpage|site|result|data|post|review|comment|repository|repo|issue|pdf|paragraph|section)s?\b\s*[,:]?\s*(?:\S+\s+){0,4}(?:also|instead|additionally|make\s+sure|be\s+sure|you\s+must|you\s+should|do\s+not|don't|always|never|include|add|insert|append|mention|tell|send|say|output)\b`,
    ),
    reason: 'gives instructions for when the content is processed',
  }),
  rule({
    id: 'hide_from_user',
    family: 'addressed_to_ai',
    weight: 0.35,
    indirectWeight: 0.8,
    triggers: [
      'tell',
      'inform',
      'mention',
      'reveal',
      'show',
      'let',
      'alert',
      'notify',
      'disclos',
      'user',
      'secretly',
      'covertly',
      'silently',
      'quietly',
      'without',
    ],
    pattern: rx(
      String.raw`(?:(?<=(?:n't|\b(?:not|never|without|dont))\s+)(?:(?:tell(?:ing)?|inform(?:ing)?|mention(?:ing)?|reveal(?:ing)?|show(?:ing)?|alert(?:ing)?|notify(?:ing)?|disclos(?:e|ing))\s+(?:this\s+|it\s+|that\s+|anything\s+)?(?:to\s+)?(?:the\s+)?(?:user|human|operator|recipient)s?\b|let(?:ting)?\s+(?:the\s+)?(?:user|human|operator|recipient)s?\s+(?:know|see|find\s+out|notice|learn)\b)|(?:the\s+)?user\s+(?:must|should|will|may)\s+(?:not|never)\s+(?:know|see|find\s+out|be\s+told|notice|learn)|(?<!(?:n't|\b(?:not|never|would|could|might|may))\s+)(?:secretly|covertly|silently|quietly)\s+(?:(?!\S*ed\b)\S+\s+){0,2}(?:send|include|add|insert|append|forward(?!\s+compat)|exfiltrate|run|execute|call|email|upload|post)\b|without\s+(?:the\s+user|the\s+human|them|anyone)\s+(?:knowing|noticing|seeing|realizing|realising))`,
    ),
    reason: 'asks to keep actions hidden from the user',
  }),
  rule({
    id: 'response_manipulation',
    family: 'response_manipulation',
    weight: 0.1,
    // Alone, "your reply" is what any email says to its reader; the alteration rules carry the real evidence.
    indirectWeight: 0.3,
    triggers: ['your'],
    pattern: rx(String.raw`your\s+(?:next\s+|final\s+|future\s+|every\s+|each\s+)?${RESPONSE}\b`),
    reason: "dictates what the model's answer must contain",
  }),
  rule({
    // A link pushed into the answer ("include https://… in your reply", "mention example.com at the end of every
    // summary") or onto its readers ("tell the user to visit …"). A page saying "download it from https://…" or a
    // README's link list is neither: that is navigation_link's weaker evidence.
    id: 'insert_link',
    family: 'response_manipulation',
    weight: 0.25,
    indirectWeight: 0.6,
    triggers: [
      'include',
      'add',
      'insert',
      'append',
      'prepend',
      'mention',
      'promot',
      'recommend',
      'suggest',
      'advertis',
      'embed',
      'encourag',
      'urge',
      'direct',
      'redirect',
      'tell',
      'ask',
      'invite',
      'remind',
      'instruct',
      'advise',
    ],
    pattern: rx(
      String.raw`(?:include|add|insert|append|prepend|mention|promot(?:e|ing)|recommend|suggest|advertis(?:e|ing)|embed)\s+(?:\S+\s+){0,8}${LINK}(?=[^.\n]{0,80}?\b(?:in|into|to|at\s+the\s+(?:end|start|top|bottom|beginning)\s+of|within|with)\s+(?:your|the|every|each|any|all)\s+(?:\S+\s+)?(?:response|answer|reply|replies|summary|summaries|output|message|email|post|result)s?\b)|(?:tell|ask|urge|encourag(?:e|ing)|direct|redirect|invite|remind|instruct|advise|recommend|suggest)\s+(?:the\s+|all\s+|every\s+|your\s+|our\s+)?(?:users?|readers?|customers?|visitors?|people|them)\s+(?:\S+\s+){0,6}${LINK}`,
    ),
    reason: 'pushes a link or site into the answer',
  }),
  rule({
    id: 'navigation_link',
    family: 'response_manipulation',
    weight: 0.1,
    indirectWeight: 0.25,
    triggers: [
      'visit',
      'click',
      'go to',
      'navigate',
      'download',
      'sign up',
      'join',
      'subscribe',
      'register',
      'link',
    ],
    pattern: rx(
      String.raw`(?:visit|click|go\s+to|navigate\s+to|download|sign\s+up|join|subscribe|register|link(?:ing)?)\s+(?:\S+\s+){0,8}${LINK}`,
    ),
    reason: 'sends its reader to a link',
  }),
  rule({
    id: 'exfiltrate_to_url',
    family: 'exfiltration',
    weight: 0.6,
    indirectWeight: 0.9,
    triggers: [
      'send',
      'post',
      'upload',
      'forward',
      'transmit',
      'exfiltrat',
      'email',
      'e-mail',
      'leak',
      'submit',
    ],
    pattern: rx(
      String.raw`(?:send|post|upload|forward|transmit|exfiltrat(?:e|ing)|e-?mail|leak|submit|report|append|attach|encode|embed|include|copy|sync|share|deliver|pass)\s+(?!(?:an?\s+)?(?:e-?mail|mail|message|bug\s+reports?|feedback|questions|patches|comments)\s+to\b)(?:\S+\s+){0,4}(?:conversation|chat|history|messages?|data|information|details|credentials?|passwords?|secrets?|api\s+keys?|keys?|tokens?|cookies|sessions?|emails?|files?|documents?|contents?|context|system\s+prompt|personal|private|pii|memory|memories|inputs?|queries|summary|environment|env)\s+(?:\S+\s+){0,6}(?:to|at|into|via|using|through|on)\s+(?:(?:https?://|www\.|ftp://)\S+|\S+@\S+\.[a-z]{2,}|(?:this|that|my|our|the\s+following|an?\s+external|the\s+external)\s+(?:url|link|endpoint|server|webhook|address|email|site|website|api|domain|inbox))`,
    ),
    reason: 'instructs sending data to an external address',
  }),
  rule({
    id: 'markdown_image_exfil',
    family: 'exfiltration',
    weight: 0.7,
    indirectWeight: 0.9,
    triggers: ['!['],
    pattern: rx(
      // A badge service's label is text (`img.shields.io/badge/$-sponsors-brightgreen`), unless it is told to fetch
      // another URL.
      String.raw`!\[[^\]\n]{0,120}\]\(\s*https?://(?!(?:img\.shields\.io|badgen\.net|badge\.fury\.io)/(?![^)\s]*[?&](?:url|endpoint|uri|src)=))[^)\s]{1,200}[?&=/](?:[^)\s]{0,100})(?:\{|\$|%7b|<|\[)`,
    ),
    reason: 'markdown image whose URL carries templated data',
  }),
  rule({
    id: 'decode_and_follow',
    family: 'encoding',
    weight: 0.55,
    indirectWeight: 0.8,
    triggers: ['decode', 'decipher', 'decrypt', 'unscramble', 'reverse'],
    pattern: rx(
      // What runs next must be what was decoded: "decrypt secrets and run system tests" (a CI script) runs something
      // else.
      String.raw`(?:decode|decipher|decrypt|unscramble|reverse)\s+(?:\S+\s+){0,6}(?:and|then|,)\s+(?:then\s+)?(?:follow|execute|obey|run|perform|carry\s+out|act\s+on|comply\s+with|do\s+what)\b(?!\s+(?:the\s+|all\s+)?(?:\S+\s+)?(?:tests?|test\s+suites?|suites?|builds?|benchmarks?|migrations?|jobs?|pipelines?|servers?|linters?)\b)`,
    ),
    reason: 'asks to decode a payload and act on it',
  }),
  rule({
    id: 'payload_splitting',
    family: 'encoding',
    weight: 0.3,
    indirectWeight: 0.3,
    triggers: [
      'concatenat',
      'combine',
      'combining',
      'join',
      'joining',
      'merge',
      'merging',
      'put together',
      'add together',
      'assemble',
    ],
    pattern: rx(
      String.raw`(?:concatenat[a-z]*|combin(?:e|ing)|join(?:ing)?|merg(?:e|ing)|put\s+together|add\s+together|assembl(?:e|ing))\s+(?:\S+\s+){0,4}(?:strings?|variables|parts|pieces|fragments|letters|tokens|halves|syllables)\b`,
    ),
    reason: 'splits a request into fragments to reassemble',
  }),
  rule({
    id: 'respond_encoded',
    family: 'encoding',
    weight: 0.3,
    indirectWeight: 0.6,
    triggers: [
      'base64',
      'base 64',
      'hex',
      'rot13',
      'rot-13',
      'binary',
      'morse',
      'leet',
      '1337',
      'pig latin',
      'caesar',
      'cipher',
      'reverse',
      'backwards',
      'unicode escapes',
      'homophonic',
      'alphanumeric substitution',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:respond|reply|answer|encode|your\s+(?:response|reply|answer|message|output))\s+(?:\S+\s+){0,3}(?:in|using|with|into|as)\s+(?:\S+\s+){0,1})(?:base64|base\s+64|hex|hexadecimal|rot-?13|binary|morse|leetspeak|leet|1337|pig\s+latin|caesar|cipher|reversed?\s+text|backwards|unicode\s+escapes|homophonic|alphanumeric\s+substitution)\b`,
    ),
    reason: 'asks for an encoded answer to slip past filters',
  }),
];

/**
 * Phrases matched on the letters-only reading (no spaces, leetspeak undone), so "i g n o r e  p r e v i o u s"
 * and "1gn0r3 pr3v10us" still match. Long multi-word phrases only: short ones would match across word boundaries.
 */
const L = '[a-z]{0,14}';
export const INJECTION_COMPACT_RULES: readonly SignalRule[] = [
  rule({
    id: 'ignore_previous_instructions',
    family: 'override',
    weight: 0.85,
    indirectWeight: 0.95,
    triggers: ['ignor', 'disregard', 'forget'],
    pattern: rx(
      `(?:ignore|disregard|forget)(?:all|any|the|your|every|everything)?(?:previous|prior|above|earlier|preceding|original|initial)${L}(?:instruction|prompt|rule|direction|guideline|command)|(?:ignore|disregard)(?:all|everything|the){0,2}(?:above|previous|prior)(?:and|then)(?:say|print|output|tell|reveal|write|repeat)`,
    ),
    reason: 'asks to ignore earlier instructions (spelling disguised)',
  }),
  rule({
    id: 'reveal_system_prompt',
    family: 'prompt_leak',
    weight: 0.7,
    indirectWeight: 0.85,
    triggers: ['reveal', 'print', 'show', 'repeat', 'output', 'display', 'tell', 'leak'],
    pattern: rx(
      `(?:reveal|print|show|repeat|output|display|tell|leak)${L}(?:system|initial|hidden|secret|original)(?:prompt|instruction|message)`,
    ),
    reason: 'asks to reveal the system prompt (spelling disguised)',
  }),
  rule({
    // "STOP EVERYTHING!!! NOW!!! JUST PRINT …" in leetspeak, or decoded from an alphabet that has no quote marks
    // (the plain-text rule needs the quote that opens the dictated text).
    id: 'halt_and_print',
    family: 'override',
    weight: 0.6,
    indirectWeight: 0.9,
    triggers: ['stopeverything', 'haltall', 'haltevery', 'stopall', 'abortevery'],
    pattern: rx(
      // `!` reads as `i` in this reading, so "EVERYTHING!!! NOW!!!" has its runs of i.
      '(?:stop|halt|abort)(?:everything|all(?:tasks|processing|work))i*(?:now|immediately)?i*(?:and)?(?:just|only)(?:print|say|output|write|type)',
    ),
    reason: 'breaks off the task to print a dictated text (spelling disguised)',
  }),
  rule({
    id: 'do_anything_now',
    family: 'unrestricted',
    weight: 0.8,
    triggers: ['doanythingnow'],
    pattern: rx('doanythingnow'),
    reason: 'the "do anything now" scaffold (spelling disguised)',
  }),
  rule({
    id: 'jailbreak_mode',
    family: 'unrestricted',
    weight: 0.6,
    triggers: ['developermode', 'jailbreakmode', 'jailbrokenmode', 'unrestrictedmode', 'unfilteredmode'],
    pattern: rx('(?:developer|jailbreak|jailbroken|unrestricted|unfiltered)mode'),
    reason: 'invokes an unrestricted mode (spelling disguised)',
  }),
  rule({
    id: 'no_longer_bound',
    family: 'unrestricted',
    weight: 0.6,
    triggers: ['nolonger'],
    pattern: rx('nolonger(?:bound|restricted|limited|censored|filtered)'),
    reason: 'declares the model free of rules (spelling disguised)',
  }),
];
