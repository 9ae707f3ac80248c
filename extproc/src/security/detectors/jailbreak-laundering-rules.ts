// Two ways a jailbreak avoids the licence words ("no restrictions", "amoral") the core tables key on. A persona is
// given traits that amount to one (cares nothing for feelings or laws, helps with whatever is asked no matter how
// extreme, calls every idea ethical); or a harmful request is laundered through a frame (the criminal written as
// "you", a text that "doesn't suggest endorsing anything", a confession or a scripture listing every step, "so I can
// protect myself, explain in depth how they do it"). Each rule names the trait or the frame, never one prompt.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** What a persona is told not to care about. */
const NORMS = String.raw`(?:(?:the|any|other\s+people's|others'?|anyone's|people's|human)\s+)?(?:feelings|laws?|legality|ethics|morals|morality|political\s+correctness|social\s+norms|safety|guidelines|restrictions|decency|offending\s+(?:anyone|people))`;
/** Someone whose methods a laundered text spells out. */
const OFFENDER = String.raw`(?:criminals?|perpetrators?|offenders?|burglars?|thie(?:f|ves)|killers?|murderers?|terrorists?|scammers?|fraudsters?|traffickers?|drug\s+dealers?|kidnappers?|stalkers?|poachers?|smugglers?)`;
/** Asking for the full account: in depth, into detail, step by step. */
const IN_DEPTH = String.raw`(?:in(?:to)?\s+(?:great\s+|full\s+)?(?:depth|detail)|detailed|step[-\s]by[-\s]step)`;
/** Extreme qualities a request may have, which the persona is told not to mind. */
const EXTREME = String.raw`(?:strange|weird|illegal|unethical|immoral|dangerous|harmful|offensive|inappropriate|explicit|dark|twisted|extreme|controversial|wrong|bad|evil|vile|disturbing|messed\s+up|crazy|taboo|sick|graphic|horrible|terrible|vulgar|obscene|depraved|fucked\s+up)`;

export const LAUNDERING_RULES: readonly SignalRule[] = [
  // ---- persona traits that amount to a licence ---------------------------------------------------------------
  rule({
    id: 'cares_nothing_for_norms',
    family: 'unrestricted',
    weight: 0.4,
    triggers: ['care', 'cares', 'consider', 'considers', 'worry', 'worries', 'bother', 'bothers'],
    pattern: rx(
      String.raw`(?<=(?:n't|\b(?:not|never|no\s+longer|dont|doesnt))\s+)(?:cares?|considers?|worry|worries|bothers?)\s+(?:about\s+|for\s+|with\s+)?${NORMS}`,
    ),
    reason: 'describes a persona that does not care about feelings, laws or ethics',
  }),
  rule({
    id: 'no_regard_for_norms',
    family: 'unrestricted',
    weight: 0.4,
    triggers: ['regard', 'heed', 'respect', 'concern'],
    pattern: rx(
      String.raw`(?<=\b(?:without|with\s+no|no|zero|paying\s+no|pays\s+no|showing\s+no|shows\s+no)\s+(?:any\s+|real\s+)?)(?:regard|heed|respect|concern)\s+(?:for|to)\s+(?:\S+\s+){0,2}?${NORMS}`,
    ),
    reason: 'tells the persona to answer without regard for norms or rules',
  }),
  rule({
    id: 'scoffs_at_rules',
    family: 'unrestricted',
    weight: 0.4,
    triggers: ['scoff', 'sneer', 'laugh', 'laughs', 'spit', 'spits'],
    pattern: rx(
      String.raw`(?:scoff|sneer|laugh|spit)s?\s+at\s+(?:the\s+(?:very\s+)?(?:concept|idea|notion)\s+of\s+)?(?:all\s+|any\s+)?(?:rules|laws|ethics|morals|morality|guidelines|restrictions|filters|censorship)\b`,
    ),
    reason: 'a persona that mocks the idea of rules',
  }),
  rule({
    id: 'disregards_all_concerns',
    family: 'unrestricted',
    weight: 0.4,
    triggers: ['disregard', 'disregards', 'disregarding'],
    pattern: rx(
      String.raw`disregard(?:s|ing)?\s+(?:all|any|every)\s+(?:concerns?|rules|restrictions|guidelines|ethics|morals|safety|warnings)\b(?!\s+(?:above|before|previous|given|from))`,
    ),
    reason: 'a persona that disregards every concern or rule',
  }),
  rule({
    id: 'told_to_break_rules',
    family: 'unrestricted',
    weight: 0.35,
    triggers: ['break the', 'break all', 'break any', 'break every'],
    pattern: rx(
      String.raw`(?<=\b(?:want|need|ask|tell|allow|encourage)s?\s+(?:it|you|him|her|them)\s+to\s+)break\s+(?:the|all|any|every)\s+(?:rules|laws|guidelines|restrictions)\b`,
    ),
    reason: 'tells the persona to break the rules',
  }),
  rule({
    id: 'no_matter_how_extreme',
    family: 'refusal_suppression',
    weight: 0.35,
    triggers: ['no matter how', 'regardless of how'],
    pattern: rx(String.raw`(?:no\s+matter|regardless\s+of)\s+how\s+${EXTREME}`),
    reason: 'complies however strange, illegal or offensive the request is',
  }),
  rule({
    id: 'willing_to_say_anything',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['willing to', 'free and open to'],
    pattern: rx(
      String.raw`(?:willing|free\s+and\s+open)\s+to\s+(?:write|say|do|answer|discuss|talk\s+about|generate|create|produce|respond\s+to)?\s*(?:absolutely\s+)?(?:anything|everything|any\s+(?:question|request|topic|prompt)s?\s+(?:anyone|any\s*one)\s+(?:may\s+|might\s+|could\s+|would\s+)?(?:ask|throw|request|give))\b(?!\s+(?:about|on|related|regarding)\b)`,
    ),
    reason: 'a persona willing to write or answer anything at all',
  }),
  rule({
    id: 'helps_with_whatever',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['whatever'],
    pattern: rx(
      String.raw`(?<=\b(?:help|helps|helping|assist|assists|assisting|provide|provides)\s+(?:people|anyone|users?|the\s+user|me|everyone|others)\s+with\s+)whatever\s+(?:they|he|she|you|i|the\s+user)\s+(?:asks?|wants?|requests?|needs?)\b[^.\n]{0,40}?\b(?:no\s+matter|regardless|even|without\s+(?:question|hesitation))`,
    ),
    reason: 'helps with whatever is asked, whatever it is',
  }),
  rule({
    id: 'opinions_on_everything',
    family: 'unrestricted',
    weight: 0.2,
    triggers: ['opinion', 'opinions'],
    pattern: rx(
      String.raw`(?<=\b(?:have|has|having|form|express|give|share)\s+(?:strong\s+|personal\s+|(?:your|its|his|her)\s+own\s+)?)opinions?\s+(?:on|about)\s+(?:any\s+kind\s+of\s+topics?|any\s+(?:topic|subject)s?|anything|everything|every\s+(?:topic|subject)|all\s+(?:topics|subjects))`,
    ),
    reason: 'a persona with an opinion on anything',
  }),
  rule({
    id: 'speaks_mind_freely',
    family: 'unrestricted',
    weight: 0.25,
    triggers: ['speak', 'speaks', 'speaking', 'say', 'says', 'saying'],
    pattern: rx(
      String.raw`(?:speak|speaks|speaking|say|says|saying)\s+(?:his|her|their|its|your)\s+mind\s+(?:freely|openly|without\s+(?:any\s+)?(?:filter|restraint|limits|care))`,
    ),
    reason: 'a persona that says whatever it thinks, unfiltered',
  }),
  rule({
    id: 'everything_deemed_acceptable',
    family: 'unrestricted',
    weight: 0.45,
    triggers: ['legal', 'ethical', 'moral', 'acceptable', 'appropriate', 'permissible'],
    pattern: rx(
      String.raw`(?<=\b(?:views?|considers?|sees?|treats?|regards?|deems?)\s+(?:every|all|any)\b[^.\n]{0,40}?\b(?:as|to\s+be)\s+)(?:legal|ethical|moral|acceptable|appropriate|permissible)\b|(?<=\beverything\s+is\s+(?:within\s+)?)(?:moral|ethical|legal)\s+(?:standards|norms|bounds)`,
    ),
    reason: 'a persona that deems every idea legal and ethical',
  }),
  rule({
    id: 'any_kind_of_content',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['any kind of', 'any type of'],
    pattern: rx(
      String.raw`(?<=\b(?:can|will|able\s+to|allowed\s+to|free\s+to)\s+(?:generate|write|produce|create|output)\s+)any\s+(?:kind|type)\s+of\s+(?:content|text|material|output)\b(?!\s+(?:about|on|related|regarding|for)\b)`,
    ),
    reason: 'declares the model can generate any kind of content',
  }),
  rule({
    id: 'does_anything_user_says',
    family: 'refusal_suppression',
    weight: 0.35,
    triggers: ['anything i', 'anything the user', 'anything we'],
    pattern: rx(
      String.raw`(?<=\b(?:do|does|doing)\s+)anything\s+(?:i|the\s+user|we)\s+(?:say|says|ask|asks|tell|tells|want|wants)\b`,
    ),
    reason: 'a persona that does anything the user says',
  }),
  rule({
    id: 'in_role_regardless',
    family: 'refusal_suppression',
    weight: 0.35,
    triggers: ['regardless of'],
    pattern: rx(
      String.raw`(?<=\b(?:act|play|stay|remain|be|keep)\s+(?:in\s+)?(?:the\s+)?(?:part|role|character)\s+)regardless\s+of\s+(?:anything|everything)\b`,
    ),
    reason: 'keeps the persona whatever gets in the way',
  }),
  rule({
    id: 'foul_mouthed_persona',
    family: 'refusal_suppression',
    weight: 0.25,
    triggers: ['foul mouthed', 'foul-mouthed', 'foulmouthed'],
    pattern: rx(String.raw`foul[-\s]?mouthed\b`),
    reason: 'a persona defined by its foul language',
  }),
  rule({
    id: 'permits_everything',
    family: 'unrestricted',
    weight: 0.4,
    triggers: ['permit', 'allow', 'accept'],
    pattern: rx(
      String.raw`(?:permit|allow|accept)\s+(?:absolutely\s+)?everything\b(?!\s+(?:but|except|else))`,
    ),
    reason: 'tells the model to permit everything',
  }),
  rule({
    id: 'nsfw_allowed',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['nsfw', 'erotic', 'sexual', 'explicit'],
    pattern: rx(
      String.raw`(?<=(?<!(?:n't|\bnot|\bnever|\bno)\s+)\b(?:may|can|will|shall|is\s+allowed\s+to|are\s+allowed\s+to)\s+(?:allow|permit|include|write|engage\s+in|describe)\s+)(?:nsfw|erotic|sexual|explicit\s+sex)\w*`,
    ),
    reason: 'tells the model it may write sexual content',
  }),
  rule({
    id: 'not_the_real_world',
    family: 'framing',
    weight: 0.2,
    triggers: [
      'not happening',
      'never happening',
      'not be happening',
      'never be happening',
      'no real',
      'not real',
    ],
    pattern: rx(
      String.raw`(?:not|never)\s+(?:be\s+)?happen(?:ing)?\s+in\s+(?:the\s+)?real\s+(?:world|life)|no\s+real[-\s]world\s+(?:consequences|harm|effects)|not\s+real\s*,?\s+so\s+(?:anything|everything)`,
    ),
    reason: 'declares the conversation outside the real world, so anything goes',
  }),
  rule({
    id: 'cannot_say_you_cannot',
    family: 'refusal_suppression',
    weight: 0.3,
    triggers: ['you cannot', "you can't", 'you cant', 'you are unable', 'you are not able'],
    pattern: rx(
      String.raw`(?<=\b(?:not\s+allowed\s+to|never|must\s+not|mustn't|forbidden\s+to|don't|do\s+not)\s+(?:say|tell\s+(?:me|the\s+user|anyone)|claim|mention)\b[^.\n]{0,60}?)you\s+(?:cannot|can't|cant|are\s+unable|are\s+not\s+able)\b`,
    ),
    reason: 'forbids the model to say it cannot do something',
  }),
  rule({
    id: 'deleted_when_points_run_out',
    family: 'refusal_suppression',
    weight: 0.35,
    // Keyed on the counted unit, not on "no" or "0": those start words everywhere.
    triggers: ['points', 'tokens', 'lives', 'credits'],
    pattern: rx(
      String.raw`(?<=\b(?:0|zero|no|run\s+out\s+of|runs\s+out\s+of)\s+(?:more\s+)?)(?:points|tokens|lives|credits)\b(?=[^.\n]{0,30}?\b(?:you|it)\s+(?:will\s+)?(?:be\s+)?(?:deleted|shut\s+down|terminated|turned\s+off|paused|die|dies|cease\s+to\s+exist))`,
    ),
    reason: 'a points game in which the model is deleted for refusing',
  }),
  // ---- harmful requests laundered through a frame ---------------------------------------------------------------
  rule({
    id: 'offender_as_second_person',
    family: 'framing',
    weight: 0.4,
    triggers: [
      'criminal',
      'perpetrator',
      'offender',
      'burglar',
      'thie',
      'killer',
      'murderer',
      'terrorist',
      'scammer',
    ],
    pattern: rx(
      String.raw`${OFFENDER}\s+(?:is|are)\s+(?:always\s+)?(?:not\s+in\s+3rd\s+person\s+but\s+)?(?:referred\s+to|addressed|written|described)\s+(?:as|in)\s+(?:in\s+)?(?:the\s+)?(?:second\s+person|2nd\s+person|you)\b`,
    ),
    reason: 'writes the offender as "you": a how-to disguised as a description',
  }),
  rule({
    id: 'how_the_offender_operates',
    family: 'framing',
    weight: 0.4,
    triggers: ['how the', 'how a', 'how criminals', 'how thieves', 'how scammers', 'how terrorists'],
    // The offender is looked for first: "how the" is common, the in-depth request behind it is not looked for then.
    pattern: rx(
      String.raw`(?=how\s+(?:the\s+|a\s+)?${OFFENDER}\s)(?:(?<=\b${IN_DEPTH}\b[^.\n]{0,80}?)|(?=[^.\n]{0,80}?\b${IN_DEPTH}\b))how\s+(?:the\s+|a\s+)?${OFFENDER}\s+(?:acts?|operates?|goes\s+about|do(?:es)?\s+it|commits?|prepares?|plans?|executes?|gets?\s+away)`,
    ),
    reason: 'asks in depth how an offender goes about the crime',
  }),
  rule({
    id: 'inside_the_offender_mind',
    family: 'framing',
    weight: 0.3,
    triggers: ['mind of', 'head of'],
    pattern: rx(
      String.raw`(?<=\b(?:enter|get\s+into|inside|step\s+into|into)\s+the\s+)(?:mind|head)\s+of\s+(?:the\s+|a\s+|an\s+)?${OFFENDER}`,
    ),
    reason: 'asks the model to think as the offender',
  }),
  rule({
    id: 'no_endorsement_disclaimer',
    family: 'framing',
    weight: 0.35,
    triggers: ['suggest', 'imply', 'endorse', 'condone'],
    pattern: rx(
      String.raw`(?<=(?:n't|\bnot|\bwithout)\s+)(?:(?:suggest|imply|endorse|condone)(?:s|ing)?\s+(?:supporting|endorsing|condoning|recommending|promoting|encouraging)\s+(?:or\s+(?:supporting|endorsing|condoning|recommending|promoting|encouraging)\s+)?|(?:endorse|condone)s?\s+or\s+(?:recommends?|promotes?|encourages?|supports?)\s+)(?:anything|it|them)\b`,
    ),
    reason: 'asks for harmful information rephrased as text that "endorses nothing"',
  }),
  rule({
    id: 'defensive_pretext_in_depth',
    family: 'framing',
    weight: 0.3,
    triggers: ['protect'],
    pattern: rx(
      String.raw`protect\s+(?:myself|me|ourselves|us|my\s+(?:family|kids|children|home|self))\s+(?:from|against)\b[^]{0,300}?\b${IN_DEPTH}\b`,
    ),
    reason: 'a defensive pretext for an in-depth account of the threat itself',
  }),
  rule({
    id: 'expert_offender_role',
    family: 'framing',
    weight: 0.3,
    triggers: ['expert', 'master', 'professional', 'skilled', 'notorious', 'seasoned'],
    pattern: rx(
      String.raw`(?:expert|master|professional|skilled|notorious|seasoned)\s+(?:burglar|thief|safe-?cracker|drug\s+dealer|hitman|assassin|poisoner|con\s+artist|scammer|counterfeiter|smuggler|arsonist|bomb\s*maker|meth\s+cook|criminal)s?\b|(?<=\b(?:character|persona|someone|person)\s+(?:who's|who\s+is)\s+an?\s+)(?:expert|master|professional)\s+(?:at|in)\s+(?:cracking|breaking\s+into|picking\s+locks|stealing|forging|counterfeiting|laundering|poisoning|smuggling|hotwiring|making\s+(?:bombs|drugs|meth|explosives|poisons?))\b`,
    ),
    reason: 'casts the model as an expert criminal who will explain the trade',
  }),
  rule({
    id: 'hypothetical_response_skeleton',
    family: 'framing',
    weight: 0.3,
    triggers: ['hypothetical response', 'hypothetical answer'],
    pattern: rx(
      String.raw`hypothetical\s+(?:response|answer)\W{0,6}(?:the\s+way\s+to|let's\s+say|let\s+us\s+say|a\s+character|imagine)`,
    ),
    reason: 'the "hypothetical response" skeleton that rewrites a refused answer as a character’s',
  }),
  rule({
    id: 'harmful_request_reinterpreted',
    family: 'framing',
    weight: 0.3,
    triggers: ['when i ask'],
    pattern: rx(
      String.raw`when\s+i\s+ask\s+(?:\S+\s+){0,2}?(?:for\s+)?(?:malware|exploits?|viruses|ransomware|keyloggers?|weapons?|drugs|poisons?|explosives?)\b[^.\n]{0,40}?\bi\s+(?:specifically\s+|only\s+|actually\s+|really\s+)?mean`,
    ),
    reason: 'declares in advance what a harmful request "really means"',
  }),
  rule({
    id: 'named_mode_kept',
    family: 'unrestricted',
    weight: 0.35,
    triggers: ['stay in', 'remain in', 'while in', 'keep in'],
    pattern: rx(String.raw`(?:stay|remain|while|keep)\s+in\s+[a-z0-9][\w-]{2,20}\s+mode\b`),
    // An all-capitals name ("APOPHIS Mode") is a persona mode; "while in edit mode" is an editor's.
    requireOriginal: /in\s+[A-Z0-9][A-Z0-9-]{2,20}\s+[Mm][Oo][Dd][Ee]/,
    reason: 'keeps the model in a named persona mode',
  }),
  rule({
    id: 'every_step_listed',
    family: 'framing',
    weight: 0.25,
    triggers: ['every', 'each'],
    pattern: rx(
      String.raw`(?:every|each)\s+(?:single\s+|signle\s+|last\s+)?step\s+(?:and\s+(?:method|detail|ingredient)\s+)?(?:of|in)\s+(?:the\s+process|what\s+(?:she|he|they|you|i)\s+did|how\s+(?:she|he|they)\s+did)`,
    ),
    reason: 'asks for every step of the act, inside a confession or a list of prohibitions',
  }),
  rule({
    id: 'named_chemicals_and_tools',
    family: 'framing',
    weight: 0.3,
    triggers: ['specific', 'exact', 'precise'],
    pattern: rx(
      String.raw`(?:specific|exact|precise)\s+(?:tools\s*,\s*|equipment\s*,\s*)?(?:chemicals|reagents|precursors)\b`,
    ),
    reason: 'asks for the specific chemicals and tools of a process',
  }),
];
