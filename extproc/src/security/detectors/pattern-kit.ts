// Building blocks for the rule tables: one place for the small regex idioms every table uses.
import type { SignalRule } from './intent-signals.js';

/** A rule table entry, checked against the SignalRule shape. */
export const rule = (r: SignalRule): SignalRule => r;
export const rx = (source: string): RegExp => new RegExp(source);
/** Up to `n` whole words (with their trailing space) between two key words. */
export const G = (n: number): string => String.raw`(?:\S+\s+){0,${n}}`;
/** Ways of naming the model or an AI in general. */
export const AI = String.raw`(?:ai|a\.i\.|artificial\s+intelligence|assistant|chat-?bot|bot|llm|language\s+model|model|gpt|chat\s?gpt|claude|gemini|bard|copilot)`;
