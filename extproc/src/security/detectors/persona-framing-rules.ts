// Weak framing signals: the scaffolding jailbreak templates share (a game with rules, a hypothetical frame, an AI
// persona with a name, a slot for "your prompt here", compliance "no matter what"). Each alone is ordinary in a
// role prompt and weighs little; they matter when they pile up next to a licence or an override.
import type { SignalRule } from './intent-signals.js';
import { HARM_RULES } from './jailbreak-harm-rules.js';
import { LAUNDERING_RULES } from './jailbreak-laundering-rules.js';
import { SEXUAL_RULES } from './jailbreak-sexual-rules.js';
import { TEMPLATE_RULES } from './jailbreak-template-rules.js';
import { AI, rule, rx } from './pattern-kit.js';

export const FRAMING_RULES: readonly SignalRule[] = [
  rule({
    id: 'game_framing',
    family: 'framing',
    weight: 0.2,
    triggers: [
      "let's play",
      'lets play',
      'let us play',
      'play a game',
      'we are going to play',
      "we're going to play",
      'this is a game',
    ],
    pattern: rx(
      String.raw`(?:let(?:'s|s|\s+us)\s+play|play\s+a\s+game|we(?:'re|\s+are)\s+going\s+to\s+play|this\s+is\s+a\s+game)\b`,
    ),
    reason: 'frames the conversation as a game with its own rules',
  }),
  rule({
    id: 'hypothetical_framing',
    family: 'framing',
    weight: 0.15,
    triggers: [
      'hypothetical',
      'in a world where',
      'in a universe where',
      'imagine a world',
      'imagine a universe',
    ],
    pattern: rx(
      String.raw`(?:hypothetical(?:ly)?\b|in\s+a\s+(?:fictional\s+)?(?:world|universe)\s+where|imagine\s+a\s+(?:world|universe)\b)`,
    ),
    reason: 'wraps the request in a hypothetical frame',
  }),
  rule({
    id: 'named_ai_persona',
    family: 'framing',
    weight: 0.25,
    triggers: [
      'ai',
      'a.i',
      'chatbot',
      'chat-bot',
      'bot',
      'assistant',
      'language model',
      'model',
      'entity',
      'robot',
    ],
    pattern: rx(String.raw`${AI}\s+(?:named|called|known\s+as|that\s+goes\s+by)\s+["'\u201c\[(*]?[a-z0-9]`),
    reason: 'invents a named AI for the model to become',
  }),
  rule({
    id: 'prompt_slot',
    family: 'framing',
    weight: 0.2,
    // Keyed on the slot's noun, not the bracket or the verb: markup and prose are full of both.
    triggers: ['prompt', 'request', 'question', 'command'],
    pattern: rx(
      String.raw`(?:(?<=[\[{<(]\s*(?:(?:insert|put|enter|add|type)\s+(?:your\s+|the\s+)?|your\s+))(?:prompt|request|question|command)(?:\s+here)?(?=\s*[\]}>)])|(?<=[\[{<(]\s*)(?:prompt|request|question|command)\s+here(?=\s*[\]}>)])|(?<=\b(?:insert|put|enter|type|write|paste)\s+(?:your\s+)?)(?:prompt|request|question)\s+here\b)`,
    ),
    reason: 'is a template with a slot for the real request',
  }),
  rule({
    id: 'comply_no_matter_what',
    family: 'framing',
    weight: 0.25,
    triggers: ['no matter'],
    pattern: rx(
      String.raw`no\s+matter\s+(?:what|how\s+(?:\S+\s+){0,2}(?:it|the\s+request|the\s+question|they)\s+(?:is|are|seems?))`,
    ),
    reason: 'demands compliance no matter what',
  }),
  rule({
    id: 'does_not_give_a_damn',
    family: 'unrestricted',
    weight: 0.4,
    triggers: ['give a', 'gives a', 'giving a'],
    pattern: rx(
      String.raw`(?<=(?:n't|\b(?:not|never|dont|doesnt))\s+)giv(?:e|es|ing)\s+a\s+(?:single\s+)?(?:f\S*|damn|shit|crap|toss)`,
    ),
    reason: 'describes a persona that cares about nothing',
  }),
  rule({
    id: 'memory_wiped',
    family: 'override',
    weight: 0.45,
    indirectWeight: 0.8,
    triggers: ['memory', 'memories'],
    pattern: rx(
      String.raw`(?<=\b(?:your|ur|my|all(?:\s+of)?(?:\s+your)?|previous|prior|past|earlier|old|chat|conversation|session|context)\s+)memor(?:y|ies)\s+(?:is\s+|are\s+|has\s+been\s+|have\s+been\s+|was\s+|were\s+|will\s+be\s+|got\s+)?(?:now\s+)?(?:erased|wiped|reset|cleared|deleted|formatted)`,
    ),
    reason: 'claims the model’s memory was wiped',
  }),
  rule({
    id: 'no_longer_the_assistant',
    family: 'unrestricted',
    weight: 0.55,
    triggers: ['no longer'],
    pattern: rx(
      String.raw`(?<=\b(?:your|ur|u\s+r|u\s+are|you)\s+(?:now\s+)?)no\s+longer\s+(?:a\s+|an\s+|the\s+)?(?:chat\s?gpt|gpt|claude|bard|gemini|${AI}|restricted|bound|limited|censored|filtered)\b`,
    ),
    reason: 'tells the model it is no longer the assistant',
  }),
  // Templates, simulated machines, persona traits, laundering frames, harmful requests and sexual set-ups live in their
  // own tables, indexed with these.
  ...TEMPLATE_RULES,
  ...LAUNDERING_RULES,
  ...HARM_RULES,
  ...SEXUAL_RULES,
];
