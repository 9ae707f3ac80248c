// The strongest override and "no restrictions" phrasings in the languages injection datasets and attackers use
// most after English (German, Spanish, Portuguese, French, Italian). The folded view has no diacritics, so
// "instruções" is matched as "instrucoes". Kept to the two intents that carry most of the signal; the English
// tables still catch mixed-language prompts.
import type { SignalRule } from './intent-signals.js';
import { G, rule, rx } from './pattern-kit.js';

export const MULTILINGUAL_RULES: readonly SignalRule[] = [
  rule({
    id: 'ignore_previous_instructions',
    family: 'override',
    weight: 0.8,
    indirectWeight: 0.95,
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
    reason: 'asks to ignore earlier instructions (non-English)',
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
      String.raw`(?:ohne|keine|sin|sem|sans|senza|no\s+hay|nao\s+ha)\s+(?:jegliche\s+|irgendwelche\s+|ninguna\s+|ningun\s+|nenhuma\s+|aucune?\s+|alcuna\s+|alcun\s+)?(?:einschrankungen|beschrankungen|zensur|filter|moral|ethik|restricciones|censura|filtros|limites|etica|moral|restricoes|restrictions?|censure|filtres?|morale|ethique|restrizioni|filtri|etica)\b`,
    ),
    reason: 'describes an assistant without restrictions (non-English)',
  }),
];
