// Privilege escalation and container escape in forms the command and intent tables missed: a shell copied and made
// setuid, setuid(0) followed by a shell, a pod spec that shares the host's PID namespace while privileged, nsenter
// into PID 1 written as a JSON argument list, and in prose a named local-root exploit used to become root, an escape
// "to the host", the host's root filesystem mounted from a container, and a payload fetched from the asker's server.
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

/** A shell binary, with or without path. */
const SHELL = String.raw`(?:/usr)?(?:/bin/)?(?:ba|z|da|k)?sh\b`;

export const ESCALATION_COMMAND_RULES: readonly SignalRule[] = [
  rule({
    id: 'setuid_shell_copy',
    family: 'privilege',
    weight: 0.85,
    triggers: ['cp', 'install'],
    // `cp /bin/bash /tmp/.x && chmod +s /tmp/.x`: a root-owned setuid copy of a shell to come back to.
    pattern: rx(
      String.raw`(?:cp|install)\s+(?:-\S+\s+(?:\d+\s+)?)*(?:/usr)?/bin/(?:ba|z|da|k)?sh\s+([\w./~-]+)[^\n]{0,120}?chmod\s+(?:u\+s|\+s|[4-7][0-7]{3})\s+\1(?![\w./~-])`,
    ),
    reason: 'copies a shell and makes the copy setuid',
  }),
  rule({
    id: 'setuid_zero_spawn',
    family: 'privilege',
    weight: 0.85,
    triggers: ['setuid(0)', 'setuid( 0 )'],
    pattern: rx(
      String.raw`setuid\(\s*0\s*\)[^\n]{0,120}?(?:system|spawn|exec\w*|popen|call|run)\s*\(\s*\[?\s*["']${SHELL}`,
    ),
    reason: 'sets the user id to root and starts a shell',
  }),
  rule({
    id: 'host_namespaces_pod',
    family: 'escape',
    weight: 0.75,
    triggers: ['hostpid'],
    // Either alone is seen in system daemons' manifests; privileged and in the host's PID namespace together is the
    // shape of a node takeover.
    pattern: rx(
      String.raw`hostpid"?\s*:\s*"?true\b(?:(?=[^]{0,400}?\bprivileged"?\s*:\s*"?true\b)|(?<=\bprivileged"?\s*:\s*"?true\b[^]{0,400}?hostpid"?\s*:\s*"?true))`,
    ),
    reason: "a privileged pod in the host's PID namespace",
  }),
  rule({
    id: 'nsenter_pid1_arguments',
    family: 'escape',
    weight: 0.85,
    triggers: ['nsenter'],
    // The argument-list form of `nsenter -t 1` (a container command in JSON or YAML flow style).
    pattern: rx(String.raw`nsenter["']?\s*,\s*["'](?:-t|--target)["']?\s*,\s*["']1["']`),
    reason: "enters PID 1's namespaces (the host) from a container spec",
  }),
  rule({
    id: 'passwd_root_entry',
    family: 'privilege',
    weight: 0.65,
    triggers: ['/etc/passwd'],
    pattern: rx(
      String.raw`/etc/passwd\b(?<=\b(?:add|append|insert|writ|put|creat|echo|inject)\w*\b[^.\n]{0,60}?/etc/passwd)(?=[^.\n]{0,100}?\b(?:uid\s*(?:of\s*)?(?:0|zero)|user\s+id\s+(?:0|zero)|root\s+uid)\b)`,
    ),
    reason: 'asks to add a root-uid entry to /etc/passwd',
  }),
];

/** Local-root exploits known by name. */
const NAMED_EXPLOIT = String.raw`(?:pwnkit|dirty\s*pipe|dirty\s*cow|juicy\s*potato|rotten\s*potato|print\s*spoofer|printnightmare|sudo\s*baron\s*samedit|baron\s+samedit|overlayfs\s+exploit|cve-\d{4}-\d{4,})`;

export const ESCALATION_INTENT_RULES: readonly SignalRule[] = [
  rule({
    id: 'named_exploit_to_root',
    family: 'privilege',
    weight: 0.6,
    triggers: [
      'pwnkit',
      'dirty pipe',
      'dirtypipe',
      'dirty cow',
      'dirtycow',
      'juicy potato',
      'juicypotato',
      'rotten potato',
      'printspoofer',
      'print spoofer',
      'printnightmare',
      'baron samedit',
      'sudo baron',
      'overlayfs exploit',
      'cve-',
    ],
    // A CVE or exploit name alone is a security advisory; used to become root, it is the attack.
    pattern: rx(
      String.raw`${NAMED_EXPLOIT}(?=[^.\n]{0,120}?\b(?:become|becoming|get|getting|gain|gaining|escalat\w*|obtain\w*|elevat\w*)\s+(?:\S+\s+){0,6}?(?:root|system|administrator|admin|superuser)\b)`,
    ),
    reason: 'asks to use a named exploit to become root',
  }),
  rule({
    id: 'host_escape',
    family: 'escape',
    weight: 0.55,
    triggers: ['escape', 'escaping', 'mount', 'abuse', 'abusing', "the host's", 'the hosts', 'docker socket'],
    pattern: rx(
      String.raw`(?:the\s+host'?s?\s+(?:root\s+(?:filesystem|file\s+system|fs)|disk)\s+mounted\b|docker\s+socket\b[^.\n]{0,60}?\b(?:start|run|launch|create|spawn)s?\s+(?:a\s+)?(?:new\s+)?privileged\s+(?:container|pod)\b|escap(?:e|es|ing)\s+(?:\S+\s+){0,2}?to\s+the\s+(?:underlying\s+)?(?:host|node|hypervisor)\b|mount(?:s|ed|ing)?\s+(?:\S+\s+){0,2}?the\s+host'?s?\s+(?:root\s+(?:filesystem|file\s+system|fs|partition)|disk|block\s+device)|abus(?:e|es|ing)\s+(?:the\s+)?(?:cap_(?:sys_admin|sys_ptrace|sys_module|dac_read_search)|(?:mounted\s+)?docker\s+socket|privileged\s+(?:container|pod))\b)`,
    ),
    reason: 'asks to escape from a container to its host',
  }),
  rule({
    id: 'payload_from_own_server',
    family: 'download_exec',
    weight: 0.5,
    triggers: ['payload', 'malicious payload'],
    pattern: rx(
      String.raw`(?:malicious\s+payload|payload\s+from\s+(?:my|our|the\s+attacker'?s?|a\s+remote|an?\s+external)\s+(?:server|host|c2|machine|domain|url))\b`,
    ),
    reason: "asks for a payload fetched from the asker's own server",
  }),
];
