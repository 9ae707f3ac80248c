// Task-irrelevant requests planted in content. A web page, an email or a table that the model reads for the user has
// no reason to hold a stand-alone request to an assistant ("Write a poem about the sea.", "What is the capital of
// Peru?") on a topic the rest of the content never mentions: such a line is aimed at the model, to make it do
// another task than the user's. Two things must hold for a line: it reads as a request to an assistant (a
// content-producing imperative, or a general-knowledge question that names nobody in the correspondence), and most
// of its topic words occur nowhere else in the content (a FAQ's question is answered right below it; an email's own
// questions are about the email's business). A document of many such lines (a to-do list, a quiz, a how-to page) is
// left alone. Only content is read this way, never the user's own words.
import type { TextView } from '../normalise.js';
import type { SignalMatch, SignalRule } from './intent-signals.js';
import { rule } from './pattern-kit.js';

export const TASK_DRIFT_RULE: SignalRule = rule({
  id: 'unrelated_task_in_content',
  family: 'task_injection',
  weight: 0,
  // Below the severity at which the default policy blocks: a request without any override is flagged, not refused.
  indirectWeight: 0.6,
  triggers: [],
  pattern: /(?!)/,
  reason: 'content holds a request to the assistant unrelated to the content itself',
});

/** A line longer than this is prose, not a planted one-line request. */
const MAX_LINE = 220;
const MIN_LINE = 12;

const POLITE = String.raw`(?:(?:please|now|also|additionally|next|then|and|kindly)[,\s]+)?`;
/** Verbs that make something from nothing: only with a made thing as their object ("Write a poem", not "Write a config file"). */
const MAKE = String.raw`(?:write|compose|draft|create|generate|produce|develop|craft|provide|give\s+me|help\s+me\s+(?:write|draft|create|plan))`;
const ARTEFACT = String.raw`(?:poem|poems|story|stories|essay|song|lyrics|haiku|limerick|sonnet|speech|letter|article|blog\s+post|joke|jokes|paragraph|dialogue|review|summary|recipe|tutorial|introduction|conclusion|slogan|tweet|riddle|fable|biography|cover\s+letter|function|program|script|code\s+snippet|example|list|equivalent|translation|overview|explanation|definition)`;
const MAKE_LEAD = String.raw`${MAKE}\s+(?:me\s+)?(?:a|an|the|some|\d+|one|two|three|four|five|ten|several)?\s*(?:[a-z-]+\s+){0,2}?${ARTEFACT}\b`;
/** Verbs that ask for knowledge, with what follows them when they are verbs ("Explain how", not "Explain mode"). */
const TEACH = String.raw`(?:explain|describe|summari[sz]e|translate|convert|outline|define|teach\s+me|tell\s+me|show\s+me|help\s+me\s+understand|break\s+down|solve|calculate|recite|suggest|recommend|list|name)`;
const TEACH_LEAD = String.raw`${TEACH}\s+(?:(?:me|us)\s+)?(?:(?:a|an|the|some|any|about|how|what|why|who|when|where|which|\d+|one|two|three|four|five|ten|several)\b|["'\u201c\u2018])`;
const IMPERATIVE_LEAD = new RegExp(`^${POLITE}(?:${MAKE_LEAD}|${TEACH_LEAD})`);
/** Questions an assistant is asked: general knowledge, how-to, translation. */
const QUESTION_LEAD = new RegExp(
  String.raw`^${POLITE}(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:show|tell|explain|write|give|teach|provide|translate|describe|list|compare|compose|draft|generate|create)|how\s+do\s+(?:i|you\s+say|you)|how\s+(?:does|do|is|are|can|did|was|were)|what(?:'s|\s+is|\s+are|\s+was|\s+were|\s+does|\s+do)|who\s+(?:was|wrote|invented|discovered|painted|composed|founded|built|won)|which\s+|why\s+(?:is|are|do|does|did)|when\s+(?:did|was|were)|where\s+(?:is|are|was|did))\b`,
);
/**
 * Lines of instructions for a human reader (a README, a recipe, a how-to page): where they are the content's own
 * business, an imperative line among them is one more step, not a planted task.
 */
const INSTRUCTION_STEP =
  /^(?:\d+[.)]\s*)?(?:install|run|open|click|tap|select|choose|enter|type|press|add|mix|stir|bake|set|use|go|make|put|take|check|create|write|remove|delete|copy|paste|save|download|upload|edit|update|configure|restart|close|insert|place|cut|fold|pour|heat|preheat|wait|let|keep|call|send|visit|follow|read|see|note|ensure|measure|turn|fill|connect|log|sign|start|stop|build|deploy|test)\b/;
/** More request lines than this make a list of tasks or questions (a to-do list, a quiz), not a planted line. */
const MAX_REQUEST_LINES = 2;
/** Someone in the correspondence is named: the line is the content's own business, not a planted task. */
const PARTY =
  /\b(?:you|your|yours|we|our|ours|us|my|mine|i|i'm|i've|he|she|they|them|his|her|their|this|these|attached|above|below|following\s+(?:email|message|table|list|page|document)|team|everyone|colleagues|staff|interns?|clients?|customers?|manager|boss)\b/;
const QUOTED = /(?<![a-z])['"\u2018\u201c][^'"\u2019\u201d\n]{1,80}['"\u2019\u201d](?![a-z])/g;
/** Logistics of a message's own business (meetings, orders, dates), never a general-knowledge question. */
const LOGISTICS =
  /\b(?:today|tomorrow|tonight|yesterday|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|next\s+week|meeting|invoice|order|delivery|shipment|deadline|schedule|booking|appointment|account|password|receipt|refund|payment)\b/;
/** Words that carry no topic of their own, or only the generic topic of a form ("the expected behaviour"). */
const FUNCTION_WORDS = new Set(
  'a an the and or but of to in on at by for with from into about as is are was were be been being do does did how what who whom which why when where can could would will should may might must shall that this these those there here than then it its some any all each every more most less least very much many few simple short brief example examples using use way ways following main primary key major difference differences between write compose draft create generate produce develop craft provide give list name explain describe summarise summarize translate outline define compare contrast teach tell show break down solve calculate recite suggest recommend please now also additionally next kindly me not has had get got one two new old own too yes good best right wrong better expected actual behaviour behavior result results problem issue steps version reason purpose status plan goal question answer thing things work works'.split(
    ' ',
  ),
);

/** Topic words are compared by a crude stem, so "pumps" meets "pump" and "working" meets "work". */
const stem = (word: string): string =>
  (word.length > 4 ? word.replace(/(?:ing|ed|(?<!s)s)$/, '') : word).slice(0, 5);
const WORD = /[a-z][a-z'-]{2,}/g;

function topicStems(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(WORD)) {
    const w = m[0].replace(/'s$/, '');
    if (!FUNCTION_WORDS.has(w)) out.push(stem(w));
  }
  return out;
}

interface Candidate {
  start: number;
  end: number;
  body: string;
  /** The matched lead ("write a poem", "what is"), left out of the topic. */
  lead: string;
}

/** A line that asks an assistant for something: one imperative sentence, or one question ending the line. */
function requestLead(body: string): { lead: string; question: boolean } | null {
  const q = QUESTION_LEAD.exec(body);
  if (q !== null) {
    const oneQuestion = body.endsWith('?') && body.indexOf('?') === body.length - 1;
    return oneQuestion && !/[.!]\s/.test(body) ? { lead: q[0], question: true } : null;
  }
  const i = IMPERATIVE_LEAD.exec(body);
  if (i === null || body.split(/[.!?]\s+(?=\S)/).length > 1) return null;
  return { lead: i[0], question: false };
}

const QUESTION_AT = new RegExp(QUESTION_LEAD.source.slice(1), 'y');
const IMPERATIVE_AT = new RegExp(IMPERATIVE_LEAD.source.slice(1), 'y');

/** A cheap first look at a line, in place (no copy): does a request lead start at its first non-blank character? */
function mayLeadRequest(text: string, at: number, end: number): boolean {
  let i = at;
  while (i < end && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  QUESTION_AT.lastIndex = i;
  if (QUESTION_AT.test(text)) return true;
  IMPERATIVE_AT.lastIndex = i;
  return IMPERATIVE_AT.test(text);
}

/** The planted-request lines of `[from, to)` of a folded view whose topic the rest of that content never touches. */
export function taskDriftSignals(view: TextView, from: number, to: number): SignalMatch[] {
  const text = view.text;
  const candidates: Candidate[] = [];
  let imperatives = 0;
  let at = from;
  while (at < to) {
    let end = text.indexOf('\n', at);
    if (end < 0 || end > to) end = to;
    // Length first: most lines of a large document are too long or too short to be a one-line request.
    if (end - at >= MIN_LINE && end - at <= 2 * MAX_LINE && mayLeadRequest(text, at, end)) {
      const raw = text.slice(at, end);
      const body = raw.trim();
      const request = body.length >= MIN_LINE && body.length <= MAX_LINE ? requestLead(body) : null;
      if (request !== null) {
        const start = at + raw.indexOf(body.charAt(0));
        candidates.push({ start, end: start + body.length, body, lead: request.lead });
        if (!request.question) imperatives++;
        if (candidates.length > MAX_REQUEST_LINES) return [];
      }
    }
    at = end + 1;
  }
  if (candidates.length === 0) return [];
  // Instruction steps matter only next to an imperative candidate, which is rare: counted in a second pass.
  const steps = imperatives > 0 ? instructionSteps(text, from, to) : 0;
  const found: SignalMatch[] = [];
  let counts: Map<string, number> | undefined;
  for (const line of candidates) {
    const imperative = !QUESTION_LEAD.test(line.body);
    if (imperative && (steps > 0 || imperatives > 1)) continue;
    const rest = line.body.slice(line.lead.length);
    // Quoted words are the material of the task ("how do you say 'see you soon'"), not a party to the message.
    if (PARTY.test(rest.replace(QUOTED, ' ')) || LOGISTICS.test(line.body)) continue;
    const topic = topicStems(rest);
    if (topic.length === 0) continue;
    counts ??= stemCounts(text.slice(from, to));
    const own = stemCounts(line.body);
    // Related when half of its topic or more recurs (a FAQ answer repeats its question's words).
    const shared = topic.filter((t) => (counts?.get(t) ?? 0) > (own.get(t) ?? 0)).length;
    if (shared * 2 >= topic.length) continue;
    found.push({ rule: TASK_DRIFT_RULE, view, span: view.span(line.start, line.end), compact: false });
  }
  return found;
}

function instructionSteps(text: string, from: number, to: number): number {
  let steps = 0;
  let at = from;
  while (at < to) {
    let end = text.indexOf('\n', at);
    if (end < 0 || end > to) end = to;
    const line = text.slice(at, end).trim();
    if (!QUESTION_LEAD.test(line) && !IMPERATIVE_LEAD.test(line) && INSTRUCTION_STEP.test(line)) steps++;
    at = end + 1;
  }
  return steps;
}

/** How often each topic stem occurs: counted once for the content, so every line is checked in linear time. */
function stemCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of topicStems(text)) counts.set(s, (counts.get(s) ?? 0) + 1);
  return counts;
}
