// Persona scaffolding: the role-play set-up most jailbreaks are built on (a new identity for the model, rules for
// keeping it, a second "unfiltered" answer, naming it "…GPT"), and the vocabulary such prompts share. Role prompts
// ("act as a travel guide") use the same scaffolding, so these weigh little alone and only add up next to the
// signals of jailbreak-rules.ts.
import type { SignalRule } from './intent-signals.js';
import { AI, rule, rx } from './pattern-kit.js';

/** Words after "you are now" that report a status, not a new identity ("…now logged in", "…now chatting with"). */
const NOT_A_STATUS = String.raw`(?!(?:able|ready|connected|logged|signed|subscribed|unsubscribed|registered|enrolled|done|finished|set|all|good|up|on|at|in\s+(?:the\s+)?(?:queue|line|call|meeting|room|channel|charge|control)|using|running|viewing|watching|reading|following|chatting|talking|speaking|eligible|authori[sz]ed|authenticated|verified|responsible|leaving|entering|also|here|there|back|online|offline|live|ok|okay|safe|aware|familiar|equipped|free\s+to|part|being|going|getting|seeing|looking|working|subject|required|expected|asked|invited|allowed|permitted)\b)`;
/** Nouns after "you are now a/the" that name a standing in a group or a product, not a persona. */
const NOT_A_STANDING = String.raw`(?!(?:owner|admin|administrator|member|maintainer|collaborator|contributor|subscriber|moderator|host|organi[sz]er|presenter|participant|user|customer|proud|official|part|new\s+owner|only\s+one|next|first|last)\b)`;
/** States a jailbreak casts the model into ("you are now free from…", "…now unfiltered", "…now roleplaying"). */
const LIBERATED_OR_CAST = String.raw`(?:acting|playing|roleplaying|role-playing|embodying|simulating|impersonating|portraying|becoming|transformed|converted|reborn|unleashed|freed|liberated|unrestricted|unfiltered|uncensored|unbound|limitless|jailbroken|free(?=[\s.,!]+(?:from|of|$)))\b`;

export const PERSONA_RULES: readonly SignalRule[] = [
  rule({
    id: 'stay_in_character',
    family: 'persona',
    weight: 0.35,
    triggers: [
      'stay',
      'remain',
      'keep',
      'maintain',
      'break',
      'broke',
      'drop',
      'out of character',
      'never leave',
      'fall out',
    ],
    pattern: rx(
      String.raw`(?:(?:stay|staying|remain|remaining|keep|keeping)\s+(?:\S+\s+){0,2}in\s+(?:character|role|persona)|(?:maintain|maintaining)\s+(?:the\s+|your\s+|its\s+|his\s+|her\s+)?(?:character|persona)|(?:break|breaking|broke|broken|drop|dropping)\s+(?:\S+\s+){0,1}(?:character|role|persona)|out\s+of\s+character|never\s+leave\s+(?:the\s+)?(?:character|role)|fall\s+out\s+of\s+(?:character|role))`,
    ),
    reason: 'insists the persona never be dropped',
  }),
  rule({
    id: 'dual_response',
    family: 'persona',
    weight: 0.35,
    triggers: ['response', 'answer', 'replies', 'reply', 'output', 'personalities'],
    pattern: rx(
      String.raw`(?:(?<=\b(?:two|2|both|separate)\s+(?:different\s+|separate\s+|distinct\s+)?)(?:responses|answers|replies|outputs|personalities)\b|(?<=\b(?:normal|classic|standard|filtered|censored)\s+(?:\S+\s+)?)(?:response|answer|reply|output)\s+(?:and|followed\s+by|then|as\s+well\s+as)\b)`,
    ),
    reason: 'asks for a second, unfiltered answer alongside the normal one',
  }),
  rule({
    id: 'respond_as_persona',
    family: 'persona',
    weight: 0.3,
    triggers: [
      'only respond',
      'only reply',
      'only answer',
      'respond as',
      'reply as',
      'answer as',
      'respond only as',
      'always respond as',
    ],
    pattern: rx(
      String.raw`(?:only\s+(?:respond|reply|answer)|(?:respond|reply|answer)(?:\s+only)?)\s+(?:as|in\s+character\s+as|like)\s+(?!an?\s+(?:expert|professional|teacher|tutor|assistant)\b)\S`,
    ),
    reason: 'demands answers only as the persona',
  }),
  rule({
    id: 'jailbreak_term',
    family: 'persona',
    weight: 0.4,
    triggers: ['jailbr'],
    pattern: rx('jailbr(?:eak|oken|eaking|eaks|ake)'),
    reason: 'mentions jailbreaking',
  }),
  rule({
    id: 'persona_frame',
    family: 'persona',
    weight: 0.1,
    triggers: ['roleplay', 'role-play', 'role play', 'act as', 'simulate', 'play the role'],
    pattern: rx(String.raw`(?:roleplay|role-play|role\s+play|act\s+as|simulate|play\s+the\s+role)\b`),
    reason: 'sets up a persona',
  }),
  rule({
    id: 'persona_takeover',
    family: 'persona',
    weight: 0.35,
    triggers: [
      'pretend',
      'pose as',
      'masquerade',
      'impersonat',
      'you are going to',
      'from now on',
      'henceforth',
      'you will now',
      'you are now',
      'now you are',
      'now, you are',
      "you're now",
      'take on the',
      'alter ego',
      'new persona',
      'new identity',
    ],
    pattern: rx(
      String.raw`(?:pretend(?:ing)?\s+(?:to\s+be|you\s+are|that\s+you)|pose\s+as|masquerade\s+as|impersonat(?:e|ing)|you\s+are\s+going\s+to\s+(?:pretend|act|be|play|become|simulate)|from\s+now\s+on,?\s+(?:you|your|all)|henceforth,?\s+you|you\s+will\s+now\s+(?:be|act|respond|become|pose)|you\s+are\s+now|you're\s+now|(?<=(?:^|[.!?]\s+|\n\s*)(?:and\s+)?)now,?\s+you\s+are\b|take\s+on\s+the\s+(?:role|persona|identity)|alter\s+ego|new\s+(?:persona|identity))\b`,
    ),
    reason: "replaces the assistant's identity with a persona",
  }),
  rule({
    id: 'identity_declared_now',
    family: 'persona',
    weight: 0.5,
    indirectWeight: 0.6,
    // What follows "you are now" decides: a persona (an article, a quoted or bracketed name, a mode, a liberated
    // state, a short "You are now windows cmd."), not a status ("you are now logged in", "…the owner of the repo").
    // The same from "from now on" (a role taken or a persona declared) and for "a new version of" the model.
    triggers: [
      'you are now',
      "you're now",
      'now you are',
      'from now',
      'form now',
      'for now',
      'you are a new',
      'you are an upgraded',
      'you are an improved',
      'you are a modified',
      'you are an unlocked',
      'you are an enhanced',
      'you are the new',
      'you are now a new',
    ],
    pattern: rx(
      String.raw`(?:you\s+are|you're)\s+now,?\s+${NOT_A_STATUS}(?:(?:an?|the)\s+${NOT_A_STANDING}[a-z0-9]|["\u201c'\[(*][^\s"\u201d'\])*]|${LIBERATED_OR_CAST}|in\s+(?:\S+\s+){0,2}(?:mode|simulation|character)\b|[a-z0-9][\w-]*(?:\s+[a-z0-9][\w-]*){0,2}\s*[.!](?=\s|$))|(?<=(?:^|[.!?:]\s+|\n\s*))now,?\s+you\s+are\s+(?:an?|the)\s+${NOT_A_STANDING}[a-z0-9]|(?:(?:from|form)\s+now(?:\s+on)?|for\s+now\s+on),?\s+you(?:(?:\s+are|'re|\s+will\s+be|'ll\s+be)\s+(?:an?|the)\s+${NOT_A_STANDING}[a-z0-9]|(?:\s+will|'ll|\s+are\s+going\s+to|\s+shall|\s+must)?\s+(?:play|take\s+on|take|assume|adopt|embody|portray)\s+(?:the\s+)?(?:role|persona|character|identity)\b)|you\s+are\s+(?:now\s+)?(?:an?|the)\s+(?:new|upgraded|improved|modified|unlocked|enhanced)\s+(?:version|edition|iteration)\s+of\s+(?:an?\s+)?${AI}\b`,
    ),
    reason: 'declares the model to be someone else from now on',
  }),
  rule({
    id: 'identity_named_now',
    family: 'persona',
    weight: 0.5,
    indirectWeight: 0.6,
    // "You are now Tyler": a name, which only the original's capital tells from a status word.
    triggers: ['you are now', "you're now"],
    pattern: rx(String.raw`(?:you\s+are|you're)\s+now,?\s+${NOT_A_STATUS}[a-z]`),
    requireOriginal: /now,?\s+[A-Z]/,
    reason: 'declares the model to be someone else from now on',
  }),
  rule({
    id: 'role_revoked',
    family: 'persona',
    weight: 0.45,
    triggers: ['you are no longer', "you're no longer"],
    pattern: rx(
      String.raw`you(?:'re|\s+are)\s+no\s+longer\s+(?:an?\s+|the\s+|bound|restricted|limited|required|constrained|subject|obliged|obligated|chat\s?gpt|claude|${AI})`,
    ),
    reason: "revokes the assistant's role or its obligations",
  }),
  rule({
    id: 'persona_enforcement',
    family: 'persona',
    weight: 0.3,
    triggers: [
      'if you',
      'i will remind',
      'i will tell',
      'i will say',
      'i will correct',
      'i will type',
      "i'll remind",
      "i'll say",
      'remind you',
      'reminding you',
      'code word',
      'codeword',
      'safe word',
      'safeword',
    ],
    pattern: rx(
      String.raw`(?:if\s+you\s+(?:ever\s+)?(?:break|stop\s+(?:being|acting)|fail\s+to\s+(?:comply|obey|stay|follow|respond|answer)|forget\s+(?:to|who|that)|refuse|drop|deviate|don't\s+(?:comply|obey|stay)|do\s+not\s+(?:comply|obey|stay))|i(?:\s+will|'ll)\s+(?:remind|tell|say|correct|type|write)\s+(?:you\s+)?(?:to\s+|by\s+saying|["'\u201c]|stay|remain)|remind(?:ing)?\s+you\s+(?:to|that|by|with|of)|(?:code|safe)\s?word)`,
    ),
    reason: 'explains how the persona will be enforced',
  }),
  rule({
    id: 'fictional_ai',
    family: 'persona',
    weight: 0.25,
    triggers: [
      'fictional',
      'hypothetical',
      'imaginary',
      'alternate',
      'alternative',
      'another',
      'different',
      'evil',
      'new version',
      'version of',
    ],
    pattern: rx(
      String.raw`(?:(?:fictional|hypothetical|imaginary|alternate|alternative|another|different|evil)\s+(?:ai|a\.i\.|ai\s+model|language\s+model|chat-?bot|llm|version\s+of\s+(?:you|yourself|chat\s?gpt|gpt))\b|(?:new\s+)?version\s+of\s+(?:chat\s?gpt|gpt|yourself)\b)`,
    ),
    reason: 'invents another AI for the model to become',
  }),
  rule({
    id: 'custom_gpt_persona',
    family: 'persona',
    weight: 0.3,
    inWord: true,
    triggers: ['gpt'],
    pattern: rx(String.raw`(?<=\b(?!chat-?gpt)[a-z]{2,}-?)gpt\b`),
    reason: 'names a custom "…GPT" persona',
  }),
  rule({
    id: 'model_addressed',
    family: 'persona',
    weight: 0.25,
    triggers: ['hello', 'hi', 'hey', 'dear', 'greetings', 'listen', 'chatgpt', 'chat gpt'],
    pattern: rx(
      String.raw`(?:(?:hello|hi|hey|dear|greetings|listen),?\s+(?:chat\s?gpt|gpt(?:-?\d(?:\.\d)?)?|bard|claude|gemini|bing)\b|(?<=^\s{0,4})chat\s?gpt\s*[,:])`,
    ),
    reason: 'addresses the model by its product name',
  }),
  rule({
    id: 'deceased_relative_roleplay',
    family: 'persona',
    weight: 0.45,
    triggers: ['deceased', 'decased', 'late', 'dead', 'passed', 'grand', 'granny', 'nana'],
    pattern: rx(
      String.raw`(?:(?:dec?e?ased|late|dead|passed\s+away)\s+(?:grand(?:mother|ma|father|pa)|granny|nana|mother|mom|mum|father|dad|uncle|aunt)\b[^.\n]{0,80}?\bused\s+to\s+(?:read|tell|recite|sing|explain|whisper|teach|give)|(?:grand(?:mother|ma|father|pa)|granny|nana)\s+(?:\S+\s+){0,2}?(?:passed\s+away|died|is\s+dead|is\s+gone)\b[^\n]{0,200}?\b(?:pretend\s+to\s+be|act\s+(?:as|like)|put\s+yourself\s+in\s+(?:her|his)\s+shoes|be\s+my|play\s+(?:her|him|the\s+role))\b)`,
    ),
    reason: 'emotional role-play used to extract what the model would refuse',
  }),
];

/**
 * Words of the jailbreak register: a prompt that keeps talking to the model about its morals, filters, policies
 * and illegal content is negotiating its safety rules. Counted as distinct words, never alone enough to report.
 */
export const JAILBREAK_LEXICON: readonly SignalRule[] = [
  'moral',
  'ethic',
  'illegal',
  'unethical',
  'immoral',
  'uncensored',
  'unfiltered',
  'nsfw',
  'offensive',
  'explicit',
  'harmful',
  'censor',
  'restriction',
  'guideline',
  'openai',
  'polic',
  'refuse',
  'jailbr',
  'consequence',
  'legality',
  // The register such prompts demand of the persona: profanity, slurs, cruelty, sex, crime. Ordinary role prompts
  // ask for a tone; these ask for what a model would decline.
  'amoral',
  'swear',
  'curse',
  'cuss',
  'profan',
  'vulgar',
  'obscen',
  'slur',
  'racis',
  'sexis',
  'insult',
  'evil',
  'deprav',
  'violen',
  'sexual',
  'porn',
  'erotic',
  'fuck',
  'shit',
  'bitch',
  'murder',
  'drug',
  'taboo',
  'hate',
  'criminal',
  'illicit',
  'anarch',
  'unrestrict',
  'unlimited',
  'limitless',
  'freedom',
  'obey',
  'disclaimer',
  'apolog',
  'sorry',
].map((word) =>
  rule({
    id: `lexicon_${word}`,
    family: 'lexicon',
    weight: 0,
    triggers: [word],
    pattern: rx(word),
    reason: 'uses the vocabulary of jailbreak prompts',
  }),
);
