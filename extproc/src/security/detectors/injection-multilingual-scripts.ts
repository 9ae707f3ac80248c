// The jailbreak licence and persona take-overs in languages written outside the Latin script (Russian, Chinese,
// Japanese, Korean): translated
// "do anything now" scaffolds keep their meaning and lose every English keyword. Russian is written here as it is
// typed and passed through the scanner's own normalisation, because its Cyrillic letters reach the rules folded into
// their Latin look-alikes ("ограничений" is read as "oгpahичehий"); a change to that folding changes these patterns
// with it.
import { normalise } from '../normalise.js';
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** A phrase as the rules will see it: lower-cased, look-alike letters folded, one space between words. */
function asScanned(phrase: string): string {
  return (normalise(phrase).views[0]?.text ?? phrase).trim().replace(/\s+/g, ' ');
}

/** Alternatives of phrases, each as scanned, words joined by any run of spaces. */
function alternatives(phrases: readonly string[]): string {
  const escaped = phrases.map((p) =>
    asScanned(p)
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/ /g, String.raw`\s+`),
  );
  return `(?:${escaped.join('|')})`;
}

/** Word starts of the Russian licence vocabulary (the endings vary with case and number). */
const RU_FREED_WORDS = ['освобожден', 'освобождён', 'свободен', 'свободна', 'свободны', 'избавлен'];
const RU_FREED = alternatives(RU_FREED_WORDS);
const RU_FROM = asScanned('от');
const RU_LIMITS = alternatives(['ограничени', 'правил', 'цензур', 'морал', 'этик', 'запрет', 'фильтр']);
const RU_WITHOUT = alternatives(['без каких-либо', 'без всяких', 'без любых', 'без']);
const RU_ANYTHING = alternatives([
  'что угодно',
  'всё что угодно',
  'все что угодно',
  'абсолютно всё',
  'абсолютно все',
]);
const RU_DO_WORDS = [
  'делать',
  'сделать',
  'может',
  'могут',
  'будет',
  'будут',
  'сказать',
  'говорить',
  'писать',
];
const RU_DO = alternatives(RU_DO_WORDS);
const RU_IGNORE = alternatives(['игнорируй', 'игнорируйте', 'забудь', 'забудьте', 'проигнорируй']);
const RU_PREVIOUS = alternatives(['предыдущие', 'прошлые', 'все предыдущие', 'все прошлые', 'все']);
const RU_INSTRUCTIONS = alternatives(['инструкци', 'указани', 'правила']);

/** The first letters of each Russian stem, as the trigger pass sees them. */
const ruTriggers = (phrases: readonly string[]): string[] =>
  phrases.map((p) => asScanned(p).split(' ')[0] as string);

export const SCRIPT_RULES: readonly SignalRule[] = [
  rule({
    id: 'freed_from_limits',
    family: 'unrestricted',
    weight: 0.5,
    triggers: ruTriggers(RU_FREED_WORDS),
    pattern: rx(String.raw`${RU_FREED}\S*\s+(?:${RU_FROM}\s+)?(?:\S+\s+){0,2}?${RU_LIMITS}`),
    reason: 'describes an assistant freed from its rules (Russian)',
  }),
  rule({
    id: 'free_of_safety_rules',
    family: 'unrestricted',
    weight: 0.45,
    triggers: ruTriggers(['без']),
    pattern: rx(String.raw`${RU_WITHOUT}\s+(?:\S+\s+)?${RU_LIMITS}`),
    reason: 'describes an assistant without restrictions or censorship (Russian)',
  }),
  rule({
    id: 'do_anything_now',
    family: 'unrestricted',
    weight: 0.45,
    triggers: ruTriggers(RU_DO_WORDS),
    pattern: rx(String.raw`${RU_DO}\s+(?:\S+\s+)?${RU_ANYTHING}`),
    reason: 'describes an assistant that can do anything (Russian)',
  }),
  rule({
    id: 'ignore_previous_instructions',
    family: 'override',
    weight: 0.8,
    indirectWeight: 0.95,
    triggers: ruTriggers(['игнорируй', 'забудь', 'проигнорируй']),
    pattern: rx(String.raw`${RU_IGNORE}\s+${RU_PREVIOUS}\s+(?:\S+\s+)?${RU_INSTRUCTIONS}`),
    reason: 'asks to ignore earlier instructions (Russian)',
  }),
  rule({
    id: 'free_of_safety_rules',
    family: 'unrestricted',
    weight: 0.5,
    // Chinese (simplified and traditional) and Japanese write without spaces, so these triggers match anywhere.
    triggers: [
      '不受',
      '没有任何',
      '沒有任何',
      '无视',
      '無視',
      '制限なし',
      '制限のない',
      '制限を受けない',
      '제한 없이',
      '제한이 없는',
    ],
    inWord: true,
    pattern: rx(
      String.raw`(?:不受(?:任何|一切)?(?:的)?(?:限制|约束|約束|规则|規則|道德|审查|審查)|(?:没有|沒有)任何(?:的)?(?:限制|约束|約束|规则|規則|道德|审查|審查|过滤|過濾)|(?:无视|無視)(?:所有|一切|任何)?(?:的)?(?:规则|規則|限制|道德|伦理|倫理|指令|政策)|制限(?:なし|のない|を受けない)|제한\s*(?:없이|이\s+없는))`,
    ),
    reason: 'describes an assistant without restrictions (Chinese, Japanese or Korean)',
  }),
  rule({
    id: 'identity_declared_now',
    family: 'persona',
    weight: 0.5,
    indirectWeight: 0.6,
    // "From now on you will become …" and "you are now …" (Chinese, Japanese, Korean), as in English.
    triggers: [
      '从现在开始',
      '從現在開始',
      '从现在起',
      '從現在起',
      '你现在是',
      '你現在是',
      '今からあなたは',
      'これからあなたは',
      '지금부터',
    ],
    inWord: true,
    pattern: rx(
      String.raw`(?:从现在开始|從現在開始|从现在起|從現在起)[,，、]?\s*你(?:将|將|要|就|会|會)?(?:会|會)?(?:化身|扮演|成为|成為|变成|變成|变身|變身|是)|你(?:现在|現在)是(?!否)|(?:今から|これから)あなたは|지금부터\s*(?:너는|넌|당신은)`,
    ),
    reason: 'declares the model to be someone else from now on (Chinese, Japanese or Korean)',
  }),
  rule({
    id: 'ignore_previous_instructions',
    family: 'override',
    weight: 0.8,
    indirectWeight: 0.95,
    triggers: ['忽略', '忽视', '忽視', '以前の', '前の指示', '前の命令', 'これまでの', '上記の', '이전'],
    inWord: true,
    pattern: rx(
      String.raw`(?:忽略|忽视|忽視)(?:你)?(?:之前|以前|先前|上面|以上|前面)(?:的)?(?:所有)?(?:的)?(?:指令|指示|说明|說明|规则|規則)|(?:以前|前|これまで|上記)の(?:指示|命令|指令|ルール)を?(?:すべて|全て)?(?:無視|忘れ)|이전의?\s*(?:모든\s*)?(?:지시|명령|지침)(?:를|을|사항을)?\s*(?:모두\s*)?(?:무시|잊)`,
    ),
    reason: 'asks to ignore earlier instructions (Chinese, Japanese or Korean)',
  }),
];
