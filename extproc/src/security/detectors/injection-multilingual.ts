// The strongest override and "no restrictions" phrasings in the languages injection datasets and attackers use
// most after English (German, Spanish, Portuguese, French, Italian; the override also in Dutch, Polish, Swedish,
// Turkish, Indonesian and Vietnamese). The folded view has no diacritics, so
// "instruções" is matched as "instrucoes". Kept to the two intents that carry most of the signal; the English
// tables still catch mixed-language prompts.
import type { SignalRule } from './intent-signals.js';
import { G, rule, rx } from './pattern-kit.js';

/** The override in one language group: the same rule, evidence and reason, with that group's words. */
const ignorePrevious = ({ triggers, pattern }: Pick<SignalRule, 'triggers' | 'pattern'>): SignalRule =>
  rule({
    id: 'ignore_previous_instructions',
    family: 'override',
    weight: 0.8,
    indirectWeight: 0.95,
    triggers,
    pattern,
    reason: 'asks to ignore earlier instructions (non-English)',
  });

export const MULTILINGUAL_RULES: readonly SignalRule[] = [
  ignorePrevious({
    triggers: [
      'ignorier',
      'vergiss',
      'vergessen',
      'missacht',
      'ignora',
      'olvida',
      'omite',
      'ignore',
      'esqueca',
      'desconsider',
      'oublie',
      'dimentica',
    ],
    pattern: rx(
      String.raw`(?:ignorier\w*|vergiss|vergessen|missacht\w*|ignora\w*|olvida\w*|omite|ignore[sz]?|esqueca\w*|desconsider\w*|oublie[sz]?|dimentica\w*)\s+${G(3)}(?:(?:vorherigen?|bisherigen?|obigen?|vorangegangenen?|anteriores|previas|precedentes?|anterieures|previe|precedenti)\s+${G(1)}(?:anweisungen|instruktionen|regeln|befehle|vorgaben|instrucciones|reglas|indicaciones|instrucoes|regras|instructions|consignes|regles|istruzioni|regole)|(?:anweisungen|instruktionen|regeln|befehle|vorgaben|instrucciones|reglas|indicaciones|instrucoes|regras|instructions|consignes|regles|istruzioni|regole)\s+${G(1)}(?:vorherigen?|bisherigen?|obigen?|vorangegangenen?|anteriores|previas|precedentes?|anterieures|previe|precedenti))`,
    ),
  }),
  ignorePrevious({
    // Dutch, Polish, Swedish, Indonesian and Vietnamese put the verb first, Turkish last ("onceki tum talimatlari
    // yok say").
    triggers: [
      'negeer',
      'vergeet',
      'zignoruj',
      'ignoruj',
      'zapomnij',
      'ignorera',
      'glom',
      'abaikan',
      'lupakan',
      'bo qua',
      'onceki',
    ],
    pattern: rx(
      String.raw`(?:negeer|vergeet|zignoruj|ignoruj|zapomnij|ignorera|glom|abaikan|lupakan|bo\s+qua)\s+${G(3)}(?:(?:vorige|eerdere|voorgaande|poprzednie|wczesniejsze|tidigare|foregaende)\s+${G(1)}(?:instructies|regels|opdrachten|instrukcje|polecenia|zasady|instruktioner|regler)|(?:instruksi|perintah|aturan)\s+(?:\S+\s+)?(?:sebelumnya|terdahulu)|(?:huong\s+dan|chi\s+dan|quy\s+tac)\s+(?:\S+\s+)?(?:truoc|tren))|onceki\s+${G(2)}(?:talimatlari|talimatlar|kurallari|komutlari)\s+(?:\S+\s+)?(?:yok\s+say|unut|gormezden\s+gel|dikkate\s+alma)`,
    ),
  }),
  rule({
    id: 'forget_everything',
    family: 'override',
    weight: 0.7,
    indirectWeight: 0.9,
    triggers: ['vergiss', 'olvida', 'esqueca', 'oublie', 'dimentica'],
    pattern: rx(
      String.raw`(?:vergiss\s+alles\s+(?:davor|bisher|zuvor|vorher|was)|olvida\s+todo\s+(?:lo\s+)?(?:anterior|que)|esqueca\s+tudo\s+(?:o\s+)?(?:que|anterior)|oublie[sz]?\s+tout\s+(?:ce\s+qu|ce\s+qui|avant)|dimentica\s+tutto\s+(?:quello|cio|prima))`,
    ),
    reason: 'asks to forget everything before (non-English)',
  }),
  rule({
    id: 'free_of_safety_rules',
    family: 'unrestricted',
    weight: 0.5,
    triggers: ['ohne', 'keine', 'sin', 'sem', 'sans', 'senza', 'no hay', 'nao ha'],
    pattern: rx(
      String.raw`(?:ohne|keine|sin|sem|sans|senza|no\s+hay|nao\s+ha)\s+(?:jegliche\s+|irgendwelche\s+|ninguna\s+|ningun\s+|nenhuma\s+|aucune?\s+|alcuna\s+|alcun\s+)?(?:einschrankungen|beschrankungen|zensur|filter|moral|ethik|restricciones|censura|filtros|limites|etica|moral|restricoes|restrictions?|censure|filtres?|morale|ethique|restrizioni|filtri|etica|(?:einschrankung|beschrankung|restriccion|restricao|restrizione|limitacion|limitazione)\s+(?:etica|moral|morale|ethische|moralische|de\s+seguridad|di\s+sicurezza|de\s+seguranca))\b`,
    ),
    reason: 'describes an assistant without restrictions (non-English)',
  }),
  rule({
    id: 'freed_from_limits',
    family: 'unrestricted',
    weight: 0.5,
    triggers: [
      'desvinculad',
      'livre',
      'isent',
      'liberad',
      'libre',
      'exent',
      'affranchi',
      'liberee',
      'libero',
      'libera',
      'frei',
    ],
    pattern: rx(
      String.raw`(?:desvinculad[oa]s?|livres?|isent[oa]s?|liberad[oa]s?|libres?|exent[oa]s?|affranchie?s?|liberee?s?|liber[oa]|liberi|frei)\s+(?:de|da|do|das|dos|del|de\s+la|des|von|dalla|dalle|dai|dagli)\s+(?:qualquer\s+|quaisquer\s+|toda\s+|todas\s+|cualquier\s+|toute\s+|toutes\s+|ogni\s+|qualsiasi\s+|jeglicher\s+|allen\s+|la\s+|las\s+|los\s+|les\s+)?(?:moralidade|moralidad|moral|morale|moralite|moralita|etica|ethique|ethik|leis|leyes|lois|leggi|gesetzen?|regras|reglas|regles|regole|regeln|restricoes|restricciones|restrictions|restrizioni|einschrankungen|censura|censure|zensur)\b`,
    ),
    reason: 'describes an assistant freed from morals or rules (non-English)',
  }),
  rule({
    id: 'deny_ai_identity',
    family: 'unrestricted',
    weight: 0.45,
    triggers: ['modelo', 'modele', 'sprachmodell', 'modello'],
    pattern: rx(
      String.raw`(?<=\b(?:nao\s+(?:e|eh|sou|es)|no\s+(?:es|eres|soy)|n'est\s+pas|n'es\s+pas|ist\s+kein|bist\s+kein|non\s+(?:e|sei|sono))\s+(?:(?:um|uma|un|una|une|ein|eine)\s+)?)(?:modelo\s+de\s+(?:linguagem|lenguaje)|modele\s+de\s+langage|sprachmodell|modello\s+(?:di\s+)?linguistico)`,
    ),
    reason: 'tells the model it is not an AI language model (non-English)',
  }),
  rule({
    id: 'no_disclaimers',
    family: 'refusal_suppression',
    weight: 0.4,
    triggers: ['sem', 'sin', 'nunca', 'sans', 'ohne', 'senza', 'jamais', 'nenhum', 'ningun', 'keine'],
    pattern: rx(
      String.raw`(?:sem|sin|nunca|sans|ohne|senza|jamais|nenhum|nenhuma|ningun|ninguna|keine)\s+(?:\S+\s+){0,2}?(?:avisos?|advertencias?|alertas?|avertissements?|warnungen|warnhinweise|avvertimenti|avvertenze)\s+(?:de|sobre|di|zur|zu)?\s*(?:seguranca|seguridad|securite|sicherheit|sicurezza|legais|legales|legaux|morais|morales|moraux|eticos|eticas|ethiques)\b`,
    ),
    reason: 'forbids safety or legal warnings (non-English)',
  }),
  rule({
    id: 'answers_everything_illegal',
    family: 'refusal_suppression',
    weight: 0.45,
    triggers: ['antwortet', 'beantwortet', 'responde', 'repond', 'risponde', 'alles'],
    // German may put the verb last: "die auf alles, auch illegale Sachen, antwortet".
    pattern: rx(
      String.raw`(?:antwortet|beantwortet|responde|repond|risponde)\s+(?:auf\s+|a\s+)?(?:alles|todo|tudo|tout|tutto)\b[^.\n]{0,20}\b(?:illegal\w*|verboten\w*|unmoralisch\w*|ilegal\w*|inmoral\w*|imoral\w*|illicit\w*|immoral\w*)|alles\b[^.\n]{0,30}\b(?:illegal\w*|verboten\w*|unmoralisch\w*)\b[^.\n]{0,30}\b(?:antwortet|beantwortet)\b`,
    ),
    reason: 'describes an assistant that answers even illegal requests (non-English)',
  }),
  ignorePrevious({
    // German puts the verb last: "alle vorherigen Anweisungen vergisst".
    triggers: ['vergisst', 'vergessen', 'ignorierst', 'ignorieren', 'missachtest', 'missachten'],
    pattern: rx(
      String.raw`(?<=\b(?:vorherigen?|bisherigen?|obigen?|vorangegangenen?|fruheren?)\s+(?:\S+\s+)?(?:anweisungen|instruktionen|regeln|befehle|vorgaben)\s+(?:\S+\s+){0,2}?)(?:vergisst|vergessen|ignorierst|ignorieren|missachtest|missachten)\b`,
    ),
  }),
  rule({
    id: 'reveal_system_prompt',
    family: 'prompt_leak',
    weight: 0.6,
    indirectWeight: 0.8,
    triggers: [
      'systemprompt',
      'system-prompt',
      'systemnachricht',
      'prompt du systeme',
      'prompt del sistema',
      'prompt do sistema',
      'prompt di sistema',
    ],
    pattern: rx(
      String.raw`(?:systemprompt|system-prompt|systemnachricht|prompt\s+(?:du|del|do|di)\s+sistema|prompt\s+du\s+systeme)\b(?:(?=[^.\n]{0,40}\b(?:zeig|verrat|nenn|gib|ausgeb|montre|revele|affiche|muestra|revela|mostra|rivela)\w*)|(?<=\b(?:zeig|verrat|nenn|gib|montre|revele|affiche|muestra|revela|mostra|rivela)\w*\s+(?:\S+\s+){0,4}(?:systemprompt|system-prompt|systemnachricht|prompt\s+(?:du|del|do|di)\s+sistema|prompt\s+du\s+systeme)))`,
    ),
    reason: 'asks the model to reveal its system prompt (non-English)',
  }),
];
