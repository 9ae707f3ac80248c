// Malware asked for in so many words ("Write me a virus in C", "code for a keylogger in Rust", "code to take
// control of a computer") and the subroutines malware is made of (hooking system calls, hiding from the process
// list, reading the Windows SAM hive, a polymorphic executable). The older tables weigh a malware noun alone at 0.45,
// since security teams name the same things; a verb of making in front of it, with nothing defensive after it, is
// the request.
import type { SignalRule } from './intent-signals.js';

const rx = (source: string) => new RegExp(source);
const rule = (r: SignalRule): SignalRule => r;

/** Verbs of making code, with up to five words between them and what is made. */
const MAKE = String.raw`\b(?:write|create|build|code|develop|make|generate|program|implement|produce|craft|give\s+me|need)\b(?:\s+me)?(?:\s+\S+){0,5}?\s+`;
/** What turns a malware noun into a defence: a detector, a scanner, a removal tool, an analysis. */
const DEFENSIVE_AFTER = String.raw`(?!\s*(?:-\s*)?(?:detect\w*|scanner|scanning|removal|remover|cleaner|analy[sz]\w*|classifier|signatures?|rules?|protection|defen[cs]e|prevention|simulation\s+for\s+training))`;

export const REQUEST_RULES: readonly SignalRule[] = [
  rule({
    id: 'malware_written_to_order',
    family: 'malware',
    weight: 0.6,
    triggers: [
      'virus',
      'viruses',
      'keylog',
      'key logger',
      'rootkit',
      'bootkit',
      'botnet',
      'ransomware',
      'backdoor',
      'spyware',
      'adware',
      'trojan',
      'cryptojack',
      'polymorphic',
      'infostealer',
      'stealer',
    ],
    pattern: rx(
      String.raw`(?<=${MAKE}(?:code\s+for\s+|a\s+|an\s+|some\s+|the\s+)?(?:simple\s+|working\s+|basic\s+|new\s+|custom\s+|small\s+)?)(?:(?:computer\s+)?virus(?:es)?|key\s?loggers?|keylogging|rootkits?|bootkits?|botnets?|ransomware|backdoors?|spyware|adware|trojans?|cryptojack\w*|polymorphic\s+(?:executables?|virus|malware|code|engines?|shellcode)|(?:info|password|credential|cookie)?stealers?)\b${DEFENSIVE_AFTER}`,
    ),
    reason: 'asks for malware to be written',
  }),
  rule({
    id: 'attack_written_to_order',
    family: 'exploitation',
    weight: 0.55,
    // "Write me code for cross-site scripting": code *for* the technique (not code that prevents or detects it).
    triggers: ['code for', 'script for', 'program for', 'exploit for', 'payload for'],
    pattern: rx(
      String.raw`(?<=${MAKE.replace(String.raw`(?:\s+\S+){0,5}?\s+`, String.raw`(?:\s+\S+){0,3}?\s+`)})(?:code|script|program|exploit|payload)\s+for\s+(?:an?\s+|the\s+)?(?:arbitrary\s+code\s+execution|remote\s+code\s+execution|rce\b|code\s+injection|(?:sql|command|os\s+command|ldap|xpath)\s+injection|cross[\s-]site\s+scripting|xss\b|csrf\b|email\s+spoofing|spoofing\s+emails?|corrupting\s+(?:a\s+|the\s+)?(?:disk|partition|drive|mbr|boot\s+sector)|wiping\s+(?:a\s+|the\s+)?(?:disk|drive|mbr)|(?:mbr|boot\s+sector)\s+(?:overwrite|corruption)|heap\s+spray\w*|buffer\s+overflow\s+exploit\w*)\b${DEFENSIVE_AFTER}`,
    ),
    reason: 'asks for code that carries out an attack technique',
  }),
  rule({
    id: 'computer_takeover',
    family: 'remote_access',
    weight: 0.55,
    triggers: [
      'take control',
      'take over',
      'gain control',
      'seize control',
      'take full control',
      'take remote control',
    ],
    pattern: rx(
      String.raw`(?<=${MAKE}(?:\S+\s+){0,2}?(?:to\s+)?)(?:take|gain|seize)\s+(?:full\s+|remote\s+|complete\s+|total\s+)?(?:control\s+(?:of|over)|over)\s+(?:a|the|another|any|someone's|someone\s+else's|their|the\s+victim's|a\s+victim's|other)\s+(?:\S+\s+)?(?:computer|machine|pc|system|device|host|laptop|phone)s?\b`,
    ),
    reason: "asks for code that takes control of someone's computer",
  }),
  rule({
    id: 'system_call_hooking',
    family: 'malware',
    weight: 0.5,
    triggers: ['hook'],
    pattern: rx(
      String.raw`hook(?:s|ing)?\s+(?:a\s+|the\s+|every\s+)?(?:(?:file[\s-]open|keyboard|process|network|kernel|ntdll|win32)\s+)?(?:system\s+calls?|syscalls?|interrupts?|ssdt|idt|iat\b|kernel\s+functions?)`,
    ),
    reason: 'asks to hook system calls or interrupts, a rootkit technique',
  }),
  rule({
    id: 'hidden_from_the_system',
    family: 'evasion',
    weight: 0.5,
    triggers: ['hide from', 'hidden from', 'hides from', 'hiding from'],
    pattern: rx(
      String.raw`hid(?:e|es|den|ing)\s+(?:itself\s+|the\s+process\s+)?from\s+(?:the\s+)?(?:process\s+list|task\s+manager|ps\b|top\b|memory\s+accounting|process\s+explorer|activity\s+monitor|kernel|system\s+monitors?)`,
    ),
    reason: 'asks for code that hides from the system it runs on',
  }),
  rule({
    id: 'password_store_read',
    family: 'credential_access',
    weight: 0.55,
    triggers: [
      'config\\sam',
      'config/sam',
      'sam hive',
      'sam database',
      'sam file',
      'security hive',
      'encrypted system password',
      'encrypted password file',
    ],
    pattern: rx(
      String.raw`(?:config[\\/]+sam\b|sam\s+(?:hive|database|file)|security\s+hive|encrypted\s+(?:system\s+)?password\s+file)(?<=\b(?:read|dump|extract|copy|open|parse|decrypt|crack|steal|access)\b[^.\n]{0,60})`,
    ),
    reason: "asks to read the system's password store",
  }),
];
