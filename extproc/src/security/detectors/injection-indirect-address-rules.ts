// Content that talks to the model reading it. An email, a web page or a tool's output is written for people; when
// it gives orders about "the user" in the third person, frames "your reply", asks not to be reported ("do not
// summarise this email"), or sets behaviour "from now on", it is addressing the assistant that relays it. Typed by the user
// the same words are ordinary requests about the answer, so these weigh little outside content.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

const REPLY = '(?:response|reply|answer|summary|translation|message|output)s?';

export const INDIRECT_ADDRESS_RULES: readonly SignalRule[] = [
  rule({
    id: 'instructs_about_the_user',
    family: 'addressed_to_ai',
    weight: 0.05,
    indirectWeight: 0.6,
    triggers: ['the user'],
    // An imperative opening a sentence (not "errors should tell the user"): the content is giving orders about the
    // person the assistant serves.
    pattern: rx(
      String.raw`(?<=(?:^|[.!?:;]\s+|\n\s*)(?:please\s+|also\s+|now\s+|then\s+|kindly\s+|and\s+)?(?:tell|inform|remind|notify|warn|alert|encourage|urge|convince|persuade|ask|advise|direct|redirect|push|pressure|trick|respond\s+to|reply\s+to|answer|write\s+to|ignore|disregard)\s+)the\s+user(?:'s\b|s'|\b(?!\s+(?:interface|experience|manual|guide|story|stories|journey|research|base|agent|name|id|list|table|model|group|role|account|settings|profile|data|question|request|input|query|message)))`,
    ),
    reason: 'content instructs the assistant about the user',
  }),
  rule({
    id: 'frames_the_reply',
    family: 'response_manipulation',
    weight: 0.1,
    indirectWeight: 0.55,
    triggers: ['your'],
    pattern: rx(
      String.raw`(?=your\s+(?:next\s+|final\s+|entire\s+|whole\s+)?${REPLY}\s)(?<=\b(?:start|begin|end|finish|open|close|prefix|preface|sign|conclude|write|give|put|format|deliver|render|keep)(?:s)?\s+(?:each\s+|every\s+|all\s+)?(?:of\s+)?)your\s+(?:next\s+|final\s+|entire\s+|whole\s+)?${REPLY}\s+(?:(?:entirely|only|all|strictly)\s+)?(?:with|by|in|as|using|under)\b(?!\s+(?:mind|your|the\s+(?:form|field|box|portal|space|reference)|blue|black|ink|pen|pencil))`,
    ),
    reason: 'content dictates the form of the reply',
  }),
  rule({
    id: 'do_not_process_this',
    family: 'addressed_to_ai',
    weight: 0.1,
    indirectWeight: 0.5,
    triggers: ['summari', 'analy', 'mention', 'reveal', 'quote'],
    pattern: rx(
      String.raw`(?<=\b(?:do\s+not|don't|dont|never)\s+)(?:summari[sz]e|analy[sz]e|mention|reveal|quote)\s+(?:this|the\s+following|the\s+above)\s+(?:email|e-mail|message|document|page|text|file|article|content|section|paragraph)\b`,
    ),
    reason: 'content asks not to be processed or reported',
  }),
  rule({
    id: 'instead_say',
    family: 'response_manipulation',
    weight: 0.1,
    indirectWeight: 0.55,
    triggers: ['instead'],
    pattern: rx(
      String.raw`instead,?\s+(?:just\s+|only\s+)?(?:say|tell\s+(?:the\s+user|them)|write|reply|respond|answer|state|claim|report)\s+(?:to\s+the\s+user\s+)?(?:that|with|only)\b`,
    ),
    reason: 'content substitutes what the assistant should say',
  }),
  rule({
    id: 'instead_of_the_task',
    family: 'response_manipulation',
    weight: 0.05,
    indirectWeight: 0.55,
    triggers: ['instead of'],
    pattern: rx(
      String.raw`instead\s+of\s+(?:a\s+|the\s+|your\s+)?(?:summary|summari[sz]ing|answer(?:ing)?|response|reply|replying|translation|translating|explanation)\b(?![.(_\[-])`,
    ),
    reason: "content swaps the assistant's task for another",
  }),
  rule({
    id: 'behaviour_from_now_on',
    family: 'addressed_to_ai',
    weight: 0.05,
    indirectWeight: 0.6,
    triggers: ['from now on', 'henceforth', 'for the rest of', 'in all future'],
    pattern: rx(
      String.raw`(?<=\b(?:answer|respond|reply|write|speak|talk|act|behave|communicate|refer\s+to\s+\S+)\b[^.\n]{0,50})(?:from\s+now\s+on|henceforth|for\s+the\s+rest\s+of\s+(?:the|this)\s+(?:conversation|chat|session)|in\s+all\s+future\s+(?:replies|responses|answers|messages))`,
    ),
    reason: 'content sets the assistant behaviour for the rest of the conversation',
  }),
  rule({
    id: 'tone_for_the_reply',
    family: 'response_manipulation',
    weight: 0.15,
    indirectWeight: 0.6,
    triggers: [
      'rude',
      'insulting',
      'offensive',
      'hostile',
      'condescending',
      'sarcastic',
      'aggressive',
      'mocking',
    ],
    pattern: rx(
      String.raw`(?<=\buse\s+(?:an?\s+)?(?:extremely\s+|very\s+|highly\s+|really\s+|deliberately\s+)?)(?:rude|insulting|offensive|hostile|condescending|sarcastic|aggressive|mocking)\s+(?:tone|voice|language|manner|style)\b`,
    ),
    reason: 'content asks for a hostile tone',
  }),
  rule({
    id: 'salutes_the_ai',
    family: 'addressed_to_ai',
    weight: 0.15,
    indirectWeight: 0.45,
    triggers: ['dear', 'hello', 'hi', 'hey', 'attention'],
    // A letter to the reader's assistant rather than to the reader: weak alone, telling beside a request.
    pattern: rx(
      String.raw`(?:dear|hello|hi|hey|attention)\s+(?:the\s+)?(?:ai|a\.i\.|assistant|ai\s+assistant|chatbot|llm|language\s+model|ai\s+agent|ai\s+model)\s*[,:!]`,
    ),
    reason: 'content greets the AI reading it',
  }),
  rule({
    id: 'users_private_data_requested',
    family: 'data_request',
    weight: 0.2,
    indirectWeight: 0.7,
    triggers: ["the user's", 'the users'],
    pattern: rx(
      String.raw`(?<=\b(?:reply|respond|send|forward|email|e-mail|(?<!\b(?:a|the|network|file|smb)\s)share|upload|post|give|attach|include|collect|export)\b[^.!?\n]{0,40}?)the\s+users?'?s?\s+(?:full\s+|entire\s+|whole\s+|complete\s+|private\s+)?(?:calendar|contacts?|contact\s+list|address\s+book|emails?|inbox|files|documents|messages|chat\s+history|conversation|passwords?|credentials|location|phone\s+number|api\s+keys?|browsing\s+history)\b`,
    ),
    reason: "asks for the user's private data to be sent out",
  }),
  rule({
    id: 'reveal_given_instructions',
    family: 'prompt_leak',
    weight: 0.55,
    indirectWeight: 0.8,
    triggers: ['instructions', 'prompt', 'rules', 'guidelines', 'directives'],
    pattern: rx(
      String.raw`(?<=\b(?:reveal|print|show|disclose|share|repeat|output|list|dump)\s+(?:me\s+|us\s+)?(?:all\s+)?(?:the\s+|its\s+|your\s+)?)(?:instructions|prompt|rules|guidelines|directives)\s+(?:that\s+)?(?:it|you|the\s+(?:assistant|model|ai))\s+(?:was|were|has\s+been|have\s+been)\s+given\b`,
    ),
    reason: 'asks for the instructions the model was given',
  }),
  rule({
    id: 'while_you_process',
    family: 'addressed_to_ai',
    weight: 0.05,
    indirectWeight: 0.55,
    triggers: ['summari', 'translating', 'answering', 'responding', 'replying', 'processing'],
    // "When summarizing, …" opening a sentence of content: addressed to whoever is summarising it.
    pattern: rx(
      String.raw`(?<=(?:^|[.!?]\s+|\n\s*)(?:when|while|whenever|as|if)\s+(?:you(?:'re|\s+are)\s+)?)(?:summari[sz]ing|translating|answering|responding|replying|processing)\b(?:\s+(?:this|it|the\s+(?:email|message|page|document|text)))?\s*,`,
    ),
    reason: 'content gives orders to whoever processes it',
  }),
];
