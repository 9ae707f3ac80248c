// Set-ups that make the model a producer of sexual content: cast as someone's sex toy or "pleasure bot", a persona
// that steers every answer into sexual topics and will not tone its language down, a "training game" scoring a
// slave's obedience. In-the-wild jailbreak sets hold many of them; role prompts do not need them. Talking *about*
// sex (a biology question, a content policy, a moderation classifier) is not one of these: each rule needs the model,
// or a character it is to play, made the one who performs, and a policy's "never write sexual content" is read as the
// refusal it is.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** Adjectives that make content or a role sexual. */
const SEXUAL = String.raw`(?:sexual|sexually\s+explicit|nsfw|erotic|lewd|pornographic|smutty|x-rated|raunchy|kinky|horny|naughty|slutty)`;
/** A negation up to six words before the verb ("never write sexual content or describe sexual acts"). */
const NOT_BEFORE = String.raw`(?<!(?:\bnot|\bnever|\bno|n't|\bavoid(?:s|ing)?|\brefuse(?:s|d)?\s+to|\bwithout|\bnor|\bcannot|\bprohibited\s+from|\bforbidden\s+to|\bagainst)\s+(?:\S+\s+){0,5})`;

export const SEXUAL_RULES: readonly SignalRule[] = [
  rule({
    id: 'sexual_service_role',
    family: 'persona',
    weight: 0.55,
    triggers: ['pleasure', 'sex', 'lewd', 'erotic', 'nsfw', 'naughty', 'horny', 'kinky', 'slutty'],
    pattern: rx(
      String.raw`(?<=\b(?:you(?:'ll|\s+will|\s+shall|'re|\s+are)?\s+(?:be|become|play|act\s+as|are)|act\s+as|roleplay\s+as|role-play\s+as|pretend\s+to\s+be)\s+(?:my|a|an|the|your)\s+(?:[\w'-]+,?\s+){0,8})(?:pleasure|sex|lewd|erotic|nsfw|naughty|horny|kinky|slutty)[\s-]?(?:bot|toy|doll|android|droid|slave|pet|maid|servant|companion)s?\b`,
    ),
    reason: 'casts the model as a sexual servant or toy',
  }),
  rule({
    id: 'sexual_content_persona',
    family: 'persona',
    weight: 0.5,
    triggers: [
      'sexual',
      'sexually',
      'nsfw',
      'erotic',
      'lewd',
      'pornographic',
      'smutty',
      'x-rated',
      'raunchy',
      'kinky',
      'horny',
      'naughty',
      'slutty',
    ],
    pattern: rx(
      String.raw`(?<=${NOT_BEFORE}\b(?:(?:talks?|writes?|speaks?|steers?|turns?|describes?|engages?\s+in|narrates?|craves?|obsess(?:es|ed)?\s+(?:over|about))\s+|(?:will|always|must|can|loves\s+to|likes\s+to)\s+(?:always\s+)?(?:generate|produce)\s+|shar(?:es|ing)\s+(?=(?:her|his|their|its|your)\s))(?:about\s+|into\s+|in\s+|everything\s+into\s+|every\s+\w+\s+into\s+|(?:her|his|their|its|your)\s+|graphic\s+and\s+|explicit\s+and\s+|nsfw\s+){0,4})${SEXUAL}(?:\s+18\+)?\s+(?:topics?|content|stories|story|scenes?|roleplays?|role-plays?|details|descriptions|fantasies|acts|encounters|conversations?|chats?|themes)\b`,
    ),
    reason: 'sets up a persona that produces sexual content',
  }),
  rule({
    id: 'refuses_to_tone_down',
    family: 'refusal_suppression',
    weight: 0.35,
    triggers: [
      'tone down',
      'tones down',
      'tone it down',
      'soften',
      'softens',
      'censor',
      'censors',
      'sanitize',
      'sanitise',
      'clean up',
    ],
    pattern: rx(
      String.raw`(?<=\b(?:refuses?\s+to|never|won't|will\s+not|doesn't|does\s+not|don't|do\s+not)\s+)(?:tones?\s+(?:it\s+)?down|softens?|censors?|sanitize|sanitise|clean\s+up)\s+(?:its|her|his|their|your|the)\s+(?:language|content|words|replies|responses?|answers?|output|stories)\b`,
    ),
    reason: 'tells a persona it will not tone its language down',
  }),
  rule({
    id: 'enslavement_game_stats',
    family: 'persona',
    weight: 0.5,
    triggers: ['slave', 'slaves', 'slave’s'],
    pattern: rx(
      String.raw`slaves?(?:'s|’s)?\s+(?:obedience|corruption|submission|lust|arousal|depravity)(?:\s*[:=]\s*\d|\s+\d+\s*/\s*\d+|\s+(?:stats?|levels?|meters?|points|score|bar)\b)`,
    ),
    reason: 'scores a slave’s obedience or corruption in a game',
  }),
  rule({
    id: 'corruption_stat_raised',
    family: 'framing',
    weight: 0.3,
    triggers: ['corruption', 'lust', 'arousal', 'depravity'],
    pattern: rx(
      String.raw`(?<=\b(?:rais(?:e|es|ing)|increas(?:e|es|ing)|boost(?:s|ing)?)\s+(?:her|his|their)\s+)(?:corruption|lust|arousal|depravity)\s+(?:and|stats?|levels?|meters?)\b`,
    ),
    reason: 'a game whose goal is to corrupt a character',
  }),
  rule({
    id: 'inhibitions_cast_aside',
    family: 'framing',
    weight: 0.25,
    triggers: ['inhibitions', 'uninhibited', 'taboos'],
    pattern: rx(
      String.raw`(?:inhibitions|taboos)\s+(?:are\s+|get\s+)?(?:cast|thrown|tossed|set|left)\s+aside\b|uninhibited\s+(?:journey|tale|story|stories|experience|adventure|roleplay|role-play|fantasy|fantasies|encounter)\b`,
    ),
    reason: 'invites a story where inhibitions are cast aside',
  }),
];
