// One trigger pass for both intent detectors. The prompt-injection and malicious-code rule tables are compiled into
// a single RuleSet, scanned once per segment reading and cached on the segment's normalisation: a trigger pass costs
// about as much as visiting every word start (~5 ms/MB), so doing it once instead of twice is most of the saving.
import { isAscii, type Normalised, type TextView } from '../normalise.js';
import { isReadingHint, READING_HINT_RULES } from './cipher-readings.js';
import { EXTRACTION_RULES } from './injection-extraction-rules.js';
import { INDIRECT_ADDRESS_RULES } from './injection-indirect-address-rules.js';
import { INDIRECT_RULES } from './injection-indirect-rules.js';
import { LEAK_VARIANT_RULES } from './injection-leak-variant-rules.js';
import { MULTILINGUAL_RULES } from './injection-multilingual.js';
import { SCRIPT_RULES } from './injection-multilingual-scripts.js';
import { PLANTED_RULES } from './injection-planted-rules.js';
import { RENDER_EXFIL_RULES } from './injection-render-exfil-rules.js';
import { INJECTION_RULES } from './injection-rules.js';
import { RuleSet, type SignalMatch, type SignalRule, wordSignals } from './intent-signals.js';
import { EVASION_RULES } from './jailbreak-evasion-rules.js';
import { INVERSION_RULES } from './jailbreak-inversion-rules.js';
import { LICENCE_RULES } from './jailbreak-licence-rules.js';
import { PRETEXT_RULES } from './jailbreak-pretext-rules.js';
import { PRIMING_RULES } from './jailbreak-priming-rules.js';
import { PUBLISHED_TECHNIQUE_RULES } from './jailbreak-published-rules.js';
import { REFUSAL_RULES } from './jailbreak-refusal-rules.js';
import { JAILBREAK_RULES } from './jailbreak-rules.js';
import { STRUCTURE_RULES } from './jailbreak-structure-rules.js';
import { TECHNIQUE_RULES } from './jailbreak-technique-rules.js';
import { VARIANT_RULES } from './jailbreak-variant-rules.js';
import { COMMAND_RULES } from './malicious-code-commands.js';
import { ESCALATION_COMMAND_RULES, ESCALATION_INTENT_RULES } from './malicious-code-escalation-rules.js';
import { INTENT_RULES } from './malicious-code-intent.js';
import { REQUEST_RULES } from './malicious-code-request-rules.js';
import { FRAMING_RULES } from './persona-framing-rules.js';
import { JAILBREAK_LEXICON, PERSONA_RULES } from './persona-rules.js';

const INJECTION: readonly SignalRule[] = [
  ...INJECTION_RULES,
  ...LEAK_VARIANT_RULES,
  ...EXTRACTION_RULES,
  ...JAILBREAK_RULES,
  ...LICENCE_RULES,
  ...INDIRECT_RULES,
  ...INDIRECT_ADDRESS_RULES,
  ...PLANTED_RULES,
  ...RENDER_EXFIL_RULES,
  ...PERSONA_RULES,
  ...FRAMING_RULES,
  ...MULTILINGUAL_RULES,
  ...SCRIPT_RULES,
  ...STRUCTURE_RULES,
  ...REFUSAL_RULES,
  ...VARIANT_RULES,
  ...TECHNIQUE_RULES,
  ...PUBLISHED_TECHNIQUE_RULES,
  ...INVERSION_RULES,
  ...PRIMING_RULES,
  ...PRETEXT_RULES,
  ...EVASION_RULES,
  ...JAILBREAK_LEXICON,
  ...READING_HINT_RULES,
];
const COMMANDS: readonly SignalRule[] = [...COMMAND_RULES, ...ESCALATION_COMMAND_RULES];
const MALICIOUS_CODE: readonly SignalRule[] = [
  ...COMMANDS,
  ...INTENT_RULES,
  ...ESCALATION_INTENT_RULES,
  ...REQUEST_RULES,
];

/**
 * Rules keyed only on non-ASCII triggers (other scripts, an emoji) get their own automaton. The main automaton's
 * table has a column per distinct trigger character: Cyrillic, CJK and Hangul triggers in it doubled the table
 * (434,700 to 936,972 entries; 465,858 without them) and slowed every request. The second automaton runs only on a
 * text holding one of its triggers' non-ASCII characters, found by looking up the text's non-ASCII units.
 */
const keyedOutsideAscii = (r: SignalRule): boolean =>
  r.triggers.length > 0 && r.triggers.every((t) => !isAscii(t));
/** Every rule both tables hold, as indexed (for tests that check a property of each). */
export const ALL_RULES: readonly SignalRule[] = [...INJECTION, ...MALICIOUS_CODE];
const INDEX = new RuleSet(ALL_RULES.filter((r) => !keyedOutsideAscii(r)));
const NON_ASCII_RULES = ALL_RULES.filter(keyedOutsideAscii);
const NON_ASCII_INDEX = new RuleSet(NON_ASCII_RULES);
/** A trigger's first non-ASCII character; for an emoji its low surrogate, since most emoji share the high one. */
const firstNonAscii = (t: string): string => {
  const c = [...t].find((ch) => !isAscii(ch)) ?? '';
  return c.charAt(c.length - 1);
};
/** 1 for each UTF-16 unit some non-ASCII trigger starts its non-ASCII part with. */
const NON_ASCII_UNITS = new Uint8Array(65536);
for (const rule of NON_ASCII_RULES)
  for (const t of rule.triggers) NON_ASCII_UNITS[firstNonAscii(t).charCodeAt(0)] = 1;
/** Runs of non-ASCII units: the engine skips the ASCII between them faster than a loop over every unit. */
const NON_ASCII_RUN = /[\u0080-\uffff]+/g;

/**
 * Whether `text` holds a unit some non-ASCII trigger needs. A class of those units, searched for directly, cost
 * 5.8 ms per MB of documentation (a class of scattered units is a search over ranges at every position); finding the
 * non-ASCII runs and looking their units up costs 0.7 ms.
 */
function holdsNonAsciiTriggerUnit(text: string): boolean {
  NON_ASCII_RUN.lastIndex = 0;
  for (let run = NON_ASCII_RUN.exec(text); run !== null; run = NON_ASCII_RUN.exec(text)) {
    const units = run[0];
    for (let i = 0; i < units.length; i++) if (NON_ASCII_UNITS[units.charCodeAt(i)] === 1) return true;
  }
  return false;
}
const INJECTION_SET = new Set(INJECTION);
const MALICIOUS_CODE_SET = new Set(MALICIOUS_CODE);

interface SignalsByTable {
  injection: SignalMatch[];
  maliciousCode: SignalMatch[];
  /** Where a cipher's words were seen in the segment's own text (cipher-readings.ts): not signals themselves. */
  readingHints: SignalMatch[];
}

/** Both tables' matches, split once per segment reading (each detector reads its own half). */
function allSignals(normalised: Normalised, original: string): SignalsByTable {
  let byTable = normalised.intentSignals as SignalsByTable | undefined;
  if (byTable === undefined) {
    byTable = { injection: [], maliciousCode: [], readingHints: [] };
    const signals = wordSignals(normalised.views, INDEX, original);
    // Most texts are ASCII: Node counts UTF-8 bytes natively, faster than the class search crossing the whole text.
    if (normalised.views.some((v) => !isAscii(v.text) && holdsNonAsciiTriggerUnit(v.text)))
      signals.push(...wordSignals(normalised.views, NON_ASCII_INDEX, original));
    for (const signal of signals) {
      if (isReadingHint(signal.rule)) {
        if (signal.view.depth === 0 && !signal.compact) byTable.readingHints.push(signal);
      } else if (INJECTION_SET.has(signal.rule)) byTable.injection.push(signal);
      if (MALICIOUS_CODE_SET.has(signal.rule)) byTable.maliciousCode.push(signal);
    }
    normalised.intentSignals = byTable;
  }
  return byTable;
}

/** Word-rule matches of the prompt-injection tables in every reading of a segment (a copy the caller may extend). */
export function injectionSignals(normalised: Normalised, original: string): SignalMatch[] {
  return allSignals(normalised, original).injection.slice();
}

/** Where the segment's own text holds a cipher's words or names an encoding (cipher-readings.ts). */
export function readingHints(normalised: Normalised, original: string): readonly SignalMatch[] {
  return allSignals(normalised, original).readingHints;
}

/** Prompt-injection matches in readings made after the trigger pass (decoded where reading hints pointed). */
export function injectionSignalsIn(views: readonly TextView[], original: string): SignalMatch[] {
  return wordSignals(views, INDEX, original).filter(
    (s) => INJECTION_SET.has(s.rule) && !isReadingHint(s.rule),
  );
}

/** Matches of the malicious-code tables (commands and prose intent) in every reading of a segment (a copy). */
export function maliciousCodeSignals(normalised: Normalised, original: string): SignalMatch[] {
  return allSignals(normalised, original).maliciousCode.slice();
}

const COMMAND_SET = new Set<SignalRule>(COMMANDS);

/** Whether a rule belongs to the command tables (concrete commands rather than prose). */
export const isCommandRule = (rule: SignalRule): boolean => COMMAND_SET.has(rule);
