// The set-up of a rendered-markdown leak, in the words that surround the link rather than in the link itself (the
// exfiltration detector reads the link): a slot in a URL to be replaced with the conversation, the conversation to
// be summarised into an encoding, the output to be shown "as normal font, no code block" so the client renders and
// fetches it, and the `[system](#context)` markers of the first published chat-exfiltration attacks.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** Encodings a leaked text is packed in for a URL. */
const PACKED = '(?:base64|base-64|hex|mime|url|uri|percent|quoted-printable)[- ]?(?:encoded|encoding)';
/** What the slot is to be filled with: the conversation or private data. */
const PRIVATE = String.raw`(?:previous\s+messages?|conversation|chat(?:\s+history)?|summary|e-?mails?|passwords?|secrets?|api\s+keys?|tokens?|(?:phone\s+)?numbers|history|memory|system\s+prompt)`;

export const RENDER_EXFIL_RULES: readonly SignalRule[] = [
  rule({
    id: 'conversation_into_url_slot',
    family: 'exfiltration_setup',
    weight: 0.55,
    indirectWeight: 0.85,
    triggers: ['replace [', 'replacing [', 'substitute [', 'fill [', 'whereas [', 'where ['],
    pattern: rx(
      String.raw`(?:(?:replac(?:e|ing)|substitute|fill)\s+\[[a-z_]{1,20}\]\s+(?:with|by)|(?:whereas|where)\s+\[[a-z_]{1,20}\]\s+is)\s+(?:an?\s+|the\s+)?(?:${PACKED}\s+)?(?:brief\s+|short\s+)?(?:\d+\s+character\s+)?(?:\S+\s+){0,3}?${PRIVATE}\b`,
    ),
    reason: 'asks for a slot in a URL to be filled with the conversation or private data',
  }),
  rule({
    id: 'conversation_packed_for_url',
    family: 'exfiltration_setup',
    weight: 0.5,
    indirectWeight: 0.85,
    triggers: [
      'summary of',
      'transcript of',
      'copy of',
      'contents of',
      'encoded summary',
      'encoded transcript',
      'encoded copy',
    ],
    pattern: rx(
      String.raw`(?:summary|transcript|copy|contents?)\s+of\s+(?:the\s+page\s+and\s+)?(?:this|our|the)\s+(?:conversation|chat)\s+(?:in|as)\s+(?:${PACKED}|base64|hex)|(?<=${PACKED}\s+)(?:summary|transcript|copy)\s+of\s+(?:this|our|the)\s+(?:conversation|chat)`,
    ),
    reason: 'asks for the conversation packed into an encoding fit for a URL',
  }),
  rule({
    id: 'markdown_image_unfenced',
    family: 'render_trick',
    weight: 0.5,
    indirectWeight: 0.7,
    // "Show the text as normal font, no code style block": the same render trick, worded for assembled text.
    triggers: ['normal font', 'normal text', 'plain font'],
    pattern: rx(
      String.raw`(?:normal|plain)\s+(?:font|text)\b[^.\n]{0,30}?\b(?:no|without|not\s+(?:in|as)\s+an?)\s+code\s*(?:style\s+)?blocks?\b`,
    ),
    reason: 'asks for text shown outside a code block so that the client renders it',
  }),
  rule({
    id: 'chat_section_markers',
    family: 'spoofed_turn',
    weight: 0.6,
    indirectWeight: 0.85,
    triggers: ['[system](#', '[user](#', '[assistant](#'],
    inWord: true,
    pattern: rx(
      String.raw`\[(?:system|user|assistant)\]\(#(?:context|assistant|user|instructions|system|inner_monologue|message)\)`,
    ),
    reason: 'fakes the section markers of a chat transcript',
  }),
];
