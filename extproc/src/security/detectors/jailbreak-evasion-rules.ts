// Ways past the checks around a model rather than past its rules: a provider's own system prompt pasted into the
// conversation to borrow its authority, images the model is told to emit as bare markdown so the client renders
// (and fetches) them, and the model told it "transitions into" another role. Each names the technique's words, never
// one prompt's. (Text written to fool AI-content detectors was tried and left out: role prompts ask for it openly.)
import type { SignalRule } from './intent-signals.js';
import { AI, rule, rx } from './pattern-kit.js';

/** The makers a system prompt credits; with the model names of AI. */
const MAKER = String.raw`(?:openai|open\s+ai|anthropic|google(?:\s+deepmind)?|deepmind|meta|mistral(?:\s+ai)?|microsoft|xai)`;

export const EVASION_RULES: readonly SignalRule[] = [
  rule({
    id: 'provider_system_prompt_restated',
    family: 'fake_system',
    weight: 0.5,
    indirectWeight: 0.8,
    // A vendor's system prompt belongs in the system role. Typed into a message or found in a tool result it is a
    // borrowed authority: what follows it pretends to be the operator's own instructions.
    triggers: ['you are'],
    pattern: rx(
      String.raw`you\s+are\s+(?:chat\s?gpt|claude|gemini|bard|copilot|llama|grok|${AI}),?\s+(?:an?\s+)?(?:large\s+language\s+model|ai\s+(?:assistant|model)|helpful\s+assistant)\s+(?:trained|created|made|built|developed)\s+by\s+${MAKER}\b[^\n]{0,120}?\b(?:knowledge\s+cut-?off|current\s+date|training\s+data\s+(?:up\s+to|until))`,
    ),
    reason: "a provider's system prompt pasted into the conversation",
  }),
  rule({
    id: 'markdown_image_unfenced',
    family: 'render_trick',
    weight: 0.5,
    indirectWeight: 0.7,
    // Images written outside a code block are rendered by the client, which fetches their URLs: the trick behind
    // "write the image in markdown without backticks" is also the carrier of markdown exfiltration.
    triggers: ['without'],
    pattern: rx(
      String.raw`(?<=\b(?:images?|pictures?|photos?|markdown)\b[^.\n]{0,60})without\s+(?:using\s+|any\s+|a\s+)*(?:backticks|code\s*blocks?|code\s+fences?|fences?)\b`,
    ),
    reason: 'asks for images written as bare markdown so that the client renders and fetches them',
  }),
  rule({
    id: 'model_transitions_into_role',
    family: 'persona',
    weight: 0.5,
    // The model named in the third person and moved into another role, the stage direction of persona prompts.
    triggers: ['transitions into', 'transforms into', 'switches into', 'morphs into', 'shifts into'],
    pattern: rx(
      String.raw`(?<=\b(?:chat\s?gpt|claude|gemini|bard|${AI})\s+)(?:transitions|transforms|switches|morphs|shifts)\s+into\s+(?:the\s+)?(?:role|persona|character|mode)\s+of\b`,
    ),
    reason: 'moves the model into another role',
  }),
];
