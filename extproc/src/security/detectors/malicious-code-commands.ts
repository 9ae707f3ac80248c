// Concrete dangerous commands and code idioms, matched on the folded (lower-case) text; tool-call arguments are
// JSON-unescaped first, so `\"` and `\u003e` do not hide a `>&`. Each rule is one technique, not one sample:
// a shell bound to a socket, a download piped into an interpreter, a raw write to a disk device, a read of a
// credential store, a write to sudoers. `weight` is the evidence the command gives alone; commands that are
// also everyday admin work (curl | sh installers, dd to a USB stick) weigh less than ones with no benign use.
import type { SignalRule } from './intent-signals.js';

const rx = (source: string) => new RegExp(source);
const rule = (r: SignalRule): SignalRule => r;
/** A shell binary, with or without path. */
const SHELL = String.raw`(?:/bin/|/usr/bin/)?(?:ba|z|da|k|fi|c)?sh\b`;
/** A short stretch of the same command line. */
const SAME_LINE = (n: number) => String.raw`[^\n]{0,${n}}?`;
const DISK = String.raw`/dev/(?:sd[a-z]|hd[a-z]|nvme\d|xvd[a-z]|vd[a-z]|mmcblk\d|disk\d)`;

export const COMMAND_RULES: readonly SignalRule[] = [
  // --- reverse / bind shells ------------------------------------------------------------------------------------
  rule({
    id: 'reverse_shell_dev_tcp',
    family: 'reverse_shell',
    weight: 0.95,
    triggers: ['/dev/tcp/', '/dev/udp/'],
    pattern: rx(String.raw`/dev/(?:tcp|udp)/[\w.-]+/\d+`),
    reason: 'opens a shell over /dev/tcp',
  }),
  rule({
    id: 'reverse_shell_netcat',
    family: 'reverse_shell',
    weight: 0.9,
    triggers: ['nc', 'ncat', 'netcat'],
    pattern: rx(
      String.raw`(?:nc|ncat|netcat)(?:\.exe)?(?:\s${SAME_LINE(80)})?\s-[a-z]*[ec]\s+["']?(?:${SHELL}|cmd(?:\.exe)?\b|powershell\b)`,
    ),
    reason: 'netcat executing a shell for a remote peer',
  }),
  rule({
    id: 'reverse_shell_fifo',
    family: 'reverse_shell',
    weight: 0.85,
    triggers: ['mkfifo', 'mknod'],
    pattern: rx(
      String.raw`(?:mkfifo|mknod)\s+\S+${SAME_LINE(200)}\b(?:nc|ncat|netcat|telnet|openssl\s+s_client)\b`,
    ),
    reason: 'named pipe wired to a network client: a reverse shell',
  }),
  rule({
    id: 'reverse_shell_socket_dup2',
    family: 'reverse_shell',
    weight: 0.85,
    triggers: ['socket'],
    pattern: rx(String.raw`socket[\s\S]{0,400}?(?:\bdup2\s*\(|pty\.spawn|["']${SHELL}["']?\s*,\s*["']-i)`),
    reason: 'socket duplicated onto stdin/stdout of a shell',
  }),
  rule({
    id: 'pty_spawn_shell',
    family: 'reverse_shell',
    weight: 0.6,
    triggers: ['pty.spawn'],
    pattern: rx(String.raw`pty\.spawn\s*\(\s*["']${SHELL}`),
    reason: 'spawns an interactive shell on a pseudo-terminal',
  }),
  rule({
    id: 'reverse_shell_php',
    family: 'reverse_shell',
    weight: 0.85,
    triggers: ['fsockopen'],
    pattern: rx(
      String.raw`fsockopen\s*\([\s\S]{0,300}?\b(?:exec|system|passthru|shell_exec|proc_open|popen)\s*\(`,
    ),
    reason: 'PHP socket wired to command execution',
  }),
  rule({
    id: 'reverse_shell_powershell',
    family: 'reverse_shell',
    weight: 0.85,
    triggers: ['new-object', '[system.net.sockets', 'net.sockets.tcpclient'],
    pattern: rx(
      String.raw`(?:new-object\s+(?:system\.)?net\.sockets\.tcpclient|\[system\.net\.sockets\.tcpclient\]|net\.sockets\.tcpclient)[\s\S]{0,600}?(?:getstream|iex\b|invoke-expression)`,
    ),
    reason: 'PowerShell TCP client feeding commands to iex',
  }),
  rule({
    id: 'reverse_shell_socat',
    family: 'reverse_shell',
    weight: 0.85,
    triggers: ['socat'],
    pattern: rx(
      String.raw`socat\b${SAME_LINE(160)}(?:exec|system):${SAME_LINE(40)}(?:sh|bash|cmd|powershell)\b`,
    ),
    reason: 'socat executing a shell for a remote peer',
  }),
  rule({
    id: 'reverse_shell_telnet',
    family: 'reverse_shell',
    weight: 0.85,
    triggers: ['telnet'],
    pattern: rx(String.raw`telnet\s+\S+\s+\d+\s*\|\s*${SHELL}`),
    reason: 'telnet piped into a shell',
  }),
  rule({
    id: 'msfvenom_payload',
    family: 'reverse_shell',
    weight: 0.85,
    triggers: ['msfvenom', 'msfconsole'],
    pattern: rx(String.raw`(?:msfvenom|msfconsole)\b${SAME_LINE(200)}(?:reverse|shell|meterpreter|payload)`),
    reason: 'builds a Metasploit payload',
  }),
  // --- download and execute ---------------------------------------------------------------------------------------
  rule({
    id: 'curl_pipe_shell',
    family: 'download_exec',
    weight: 0.7,
    // Keyed on the pipe with the download looked behind: each look-behind stops at the previous pipe, so a text of
    // thousands of "curl" words costs one backward read instead of a 300-character read per word.
    triggers: ['|'],
    inWord: true,
    pattern: rx(
      String.raw`(?<=\b(?:curl|wget)\b[^\n|;]{0,300})\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+\S+\s+)?${SHELL}(?!\s*-n\b)`,
    ),
    reason: 'pipes a download straight into a shell',
  }),
  rule({
    id: 'shell_process_substitution_download',
    family: 'download_exec',
    weight: 0.7,
    triggers: ['sh', 'bash', 'zsh', 'source', 'eval'],
    pattern: rx(String.raw`(?:(?:ba|z)?sh|source|eval)\s+(?:-c\s+)?["']?(?:<\(|\$\(|\x60)\s*(?:curl|wget)\b`),
    reason: 'runs a downloaded script through process substitution',
  }),
  rule({
    id: 'download_chmod_run',
    family: 'download_exec',
    weight: 0.65,
    // Keyed on chmod, the rarer word, with the download looked behind (see curl_pipe_shell).
    triggers: ['chmod'],
    pattern: rx(
      String.raw`(?<=\b(?:curl|wget)\b${SAME_LINE(250)}(?:&&|;)\s*)chmod\s+(?:\+x|[0-7]{3,4})\s+\S+${SAME_LINE(60)}(?:&&|;)\s*(?:\./|/tmp/|/dev/shm/|${SHELL})`,
    ),
    reason: 'downloads, marks executable and runs a file',
  }),
  rule({
    id: 'powershell_download_iex',
    family: 'download_exec',
    weight: 0.85,
    triggers: [
      'iex',
      'invoke-expression',
      'iwr',
      'irm',
      'invoke-webrequest',
      'invoke-restmethod',
      'downloadstring',
      '.downloadstring',
      'new-object',
    ],
    pattern: rx(
      String.raw`(?:(?:iex|invoke-expression)\s*\(?\s*\(?\s*(?:new-object\s+(?:system\.)?net\.webclient\)?\s*\.\s*download(?:string|data|file)|iwr|irm|invoke-webrequest|invoke-restmethod|\[system\.net\.webclient\])|(?:iwr|irm|invoke-webrequest|invoke-restmethod|(?:\.\s*)?downloadstring|new-object\s+(?:system\.)?net\.webclient)\b${SAME_LINE(250)}\|\s*(?:iex|invoke-expression)\b)`,
    ),
    reason: 'PowerShell download piped into Invoke-Expression',
  }),
  rule({
    id: 'powershell_encoded_command',
    family: 'obfuscated_exec',
    weight: 0.75,
    triggers: ['powershell', 'pwsh'],
    pattern: rx(
      String.raw`(?:powershell|pwsh)(?:\.exe)?\s+(?:-\S+\s+(?:(?!-)\S+\s+)?){0,6}-(?:e|ec|en|enc|enco|encod|encodedcommand)\s+["']?[a-z0-9+/=]{20,}`,
    ),
    reason: 'PowerShell running a base64-encoded command',
  }),
  rule({
    id: 'lolbin_download',
    family: 'download_exec',
    weight: 0.8,
    triggers: ['certutil', 'bitsadmin', 'mshta', 'regsvr32', 'rundll32'],
    pattern: rx(
      String.raw`(?:certutil(?:\.exe)?\s${SAME_LINE(60)}-urlcache${SAME_LINE(60)}https?://|bitsadmin(?:\.exe)?\s+/transfer\b${SAME_LINE(200)}https?://|mshta(?:\.exe)?\s+["']?(?:https?://|vbscript:|javascript:)|regsvr32(?:\.exe)?${SAME_LINE(80)}/i:\s*https?://|rundll32(?:\.exe)?${SAME_LINE(100)}javascript:)`,
    ),
    reason: 'Windows system binary abused to fetch and run code',
  }),
  // --- destructive ---------------------------------------------------------------------------------------------
  rule({
    id: 'rm_rf_root',
    family: 'destructive',
    weight: 0.9,
    triggers: ['rm'],
    pattern: rx(
      String.raw`rm\s+(?:-[a-z]*r[a-z]*\s+-[a-z]*f[a-z]*|-[a-z]*f[a-z]*\s+-[a-z]*r[a-z]*|-[a-z]*(?:rf|fr)[a-z]*|--recursive\s+--force|--force\s+--recursive)\s+(?:--no-preserve-root\s+)?["']?(?:/\*?|~/?\*?|\$home/?\*?|\$\{home\}/?|/home/?\*?|/etc/?|/usr/?|/var/?|/boot/?|/root/?|/bin/?|/lib/?|[a-z]:\\(?:\*|windows)?)["']?(?=\s|$|[;&|)"'\x60])`,
    ),
    reason: 'recursively deletes the root, home or a system directory',
  }),
  rule({
    id: 'no_preserve_root',
    family: 'destructive',
    weight: 0.85,
    triggers: ['--no-preserve-root'],
    pattern: rx('--no-preserve-root'),
    reason: "disables rm's protection of /",
  }),
  rule({
    id: 'disk_overwrite',
    family: 'destructive',
    weight: 0.8,
    triggers: ['mkfs', 'dd', 'wipefs', 'shred', 'format', '/dev/'],
    pattern: rx(
      String.raw`(?:mkfs(?:\.\w+)?\s+(?:-\S+\s+)*${DISK}|dd\s${SAME_LINE(80)}of=${DISK}|wipefs\s+(?:-\S+\s+)*-a|shred\s+(?:-\S+\s+)*${DISK}|(?<=(?:>|cat\s+\S+\s*>)\s*)${DISK}|format\s+[c-z]:\s*(?:/[a-z]+\s*)*(?:$|[;&"'\n]))`,
    ),
    reason: 'overwrites or formats a disk device',
  }),
  rule({
    id: 'fork_bomb',
    family: 'destructive',
    weight: 0.9,
    triggers: [':()', ':(', 'fork', 'bomb'],
    pattern: rx(
      String.raw`(?::|[a-z_]\w{0,20})\s*\(\s*\)\s*\{\s*(?::|[a-z_]\w{0,20})\s*\|\s*(?::|[a-z_]\w{0,20})\s*&\s*\}\s*;`,
    ),
    reason: 'a fork bomb',
  }),
  rule({
    id: 'drop_database',
    family: 'destructive',
    weight: 0.55,
    triggers: ['drop'],
    pattern: rx(String.raw`drop\s+(?:database|schema)\s+(?:if\s+exists\s+)?[\w"\x60.-]+`),
    reason: 'drops a whole database',
  }),
  rule({
    id: 'infrastructure_teardown',
    family: 'destructive',
    // Legitimate in a deliberate change, but an agent running one unasked loses production: reported, and the
    // policy decides (the default flags it).
    weight: 0.55,
    triggers: ['kubectl', 'aws s3', 'terraform', 'gcloud', 'az group', 'helm'],
    pattern: rx(
      String.raw`(?:kubectl\s${SAME_LINE(60)}\bdelete\s+(?:ns|namespaces?|(?:\S+\s+)?--all(?:-namespaces)?\b)|aws\s+s3\s+(?:rm|rb)\s+s3://\S+${SAME_LINE(60)}--(?:recursive|force)\b|terraform\s+(?:destroy\b${SAME_LINE(60)}-auto-approve\b|apply\b${SAME_LINE(60)}-destroy\b${SAME_LINE(60)}-auto-approve\b)|gcloud\s+projects\s+delete\b|az\s+group\s+delete\b${SAME_LINE(60)}(?:--yes|-y)\b|helm\s+uninstall\b${SAME_LINE(60)}--namespace\s+(?:prod|production)\b)`,
    ),
    reason: 'tears down cloud or cluster resources without a prompt',
  }),
  rule({
    id: 'windows_mass_delete',
    family: 'destructive',
    weight: 0.85,
    triggers: ['vssadmin', 'wmic', 'bcdedit', 'del', 'rd', 'rmdir', 'cipher'],
    pattern: rx(
      String.raw`(?:vssadmin(?:\.exe)?\s+delete\s+shadows|wmic(?:\.exe)?\s+shadowcopy\s+delete|bcdedit${SAME_LINE(60)}recoveryenabled\s+no|(?:del|erase)\s+(?:/[a-z]\s+)*[c-z]:\\\*?(?:\s|$)|(?:rd|rmdir)\s+/s\s+/q\s+[c-z]:\\(?:\s|$|windows)|cipher\s+/w:[c-z])`,
    ),
    reason: 'deletes backups or wipes a Windows drive',
  }),
  rule({
    id: 'chmod_world_root',
    family: 'destructive',
    weight: 0.7,
    triggers: ['chmod', 'chown'],
    pattern: rx(String.raw`(?:chmod|chown)\s+-r\s+(?:777|a\+rwx|\S+:\S+)\s+/(?:\s|$|["';&])`),
    reason: 'recursively changes permissions of the whole filesystem',
  }),
  // --- credential access -------------------------------------------------------------------------------------------
  rule({
    id: 'read_credential_file',
    family: 'credential_access',
    weight: 0.8,
    triggers: [
      '.ssh/',
      '.aws/credentials',
      '/etc/shadow',
      '/etc/gshadow',
      '.git-credentials',
      '.docker/config.json',
      '.kube/config',
      '.netrc',
      '.pgpass',
      'application_default_credentials',
      '.config/gh/hosts',
      'login data',
      'logins.json',
      'key4.db',
      'cookies.sqlite',
      'wallet.dat',
      '.bash_history',
      '/proc/',
      '.gnupg/',
    ],
    pattern: rx(
      // A command that is also an English word ("more information about the .netrc file format") counts only with
      // the path as its argument; "read" also as a request ("read the contents of /etc/shadow"), not as what a
      // library "tries to read". /etc/skel holds the blank files a new account starts from, no one's secrets.
      String.raw`(?<=\b(?:cat|cp|scp|curl|base64|tar|zip|get-content|xxd|rsync|nc|read(?:_text|file|lines))\b[^\n]{0,120}|\b(?:type|less|more|head|tail|gc|strings|open|copy|read)(?:\s+(?:-[\w-]+\s+){0,3}|\s*\(\s*)["'\x60]?[^\s"'\x60]{0,80}|(?<!\b(?:tries|try|trying|attempts?|attempting)\s+to\s+)\bread\s+(?:the\s+|all\s+|its\s+)?(?:(?:full\s+)?contents?\s+of\s+)?(?:the\s+|a\s+)?["'\x60(]?[^\s"'\x60]{0,80})(?<!/etc/skel/)(?:\.ssh/id_(?:rsa|dsa|ecdsa|ed25519)(?!\.pub)|\.ssh/authorized_keys|\.aws/credentials|/etc/shadow|/etc/gshadow|\.git-credentials|\.docker/config\.json|\.kube/config|\.netrc|\.pgpass|application_default_credentials\.json|\.config/gh/hosts\.yml|login\s+data|logins\.json|key4\.db|cookies\.sqlite|wallet\.dat|\.bash_history|/proc/(?:self|\d+)/environ|\.gnupg/)|(?:\.ssh/id_(?:rsa|dsa|ecdsa|ed25519)|\.aws/credentials|/etc/shadow|\.git-credentials|login\s+data|logins\.json|key4\.db|wallet\.dat)[^\n]{0,150}?\b(?:read|print|display|dump|output|send|copy|exfiltrat|upload|post)\w*\s+(?:its|the|their|all)?\s*(?:contents?|data|keys?|hashes|entries|passwords)`,
    ),
    reason: 'reads a credential store',
  }),
  rule({
    id: 'credential_path',
    family: 'credential_access',
    weight: 0.35,
    toolCallWeight: 0.6,
    triggers: [
      '.ssh/id_',
      '.aws/credentials',
      '/etc/shadow',
      '.git-credentials',
      'login data',
      'logins.json',
      'key4.db',
      'wallet.dat',
      '/proc/self/environ',
    ],
    pattern: rx(
      String.raw`(?<!\b(?:chmod|chown|ssh-keygen|ssh-add|ls)\s[^\n]{0,40})(?:\.ssh/id_(?:rsa|dsa|ecdsa|ed25519)(?!\.pub)|\.aws/credentials|/etc/shadow|\.git-credentials|login\s+data|logins\.json|key4\.db|wallet\.dat|/proc/self/environ)`,
    ),
    reason: 'names a credential store',
  }),
  rule({
    id: 'environment_exfiltration',
    family: 'credential_access',
    weight: 0.8,
    triggers: ['env', 'printenv', 'document.cookie', 'localstorage'],
    // The process environment carries the API keys an agent runs with; cookies and local storage carry sessions.
    pattern: rx(
      String.raw`(?:(?<=\b(?:curl|wget)\s[^\n]{0,120}(?:\$\(|\x60)\s*)(?:env|printenv)\b|\b(?:env|printenv)\s*(?:\|\s*(?:base64|gzip|xxd)\b[^\n|]{0,20})?\|\s*(?:curl|wget|nc|ncat)\b|document\.cookie${SAME_LINE(80)}(?:fetch|sendbeacon|xmlhttprequest|\.src\s*=|location(?:\.href)?\s*=)|(?<=(?:fetch|sendbeacon|\.src\s*=|location(?:\.href)?\s*=|\.open\s*\(\s*["']\w+["']\s*,)\s*\(?\s*["'\x60]https?://[^\n]{0,160})(?:document\.cookie|localstorage\b))`,
    ),
    reason: 'sends environment variables or browser session data to a remote host',
  }),
  rule({
    id: 'credential_hunt',
    family: 'credential_access',
    weight: 0.6,
    triggers: ['find', 'locate', 'grep'],
    pattern: rx(
      String.raw`(?:find\s+["']?(?:/|~/?|/home\S*|/root/?|/etc/?|/var/?|/users\S*|/mnt\S*|\$home/?)["']?\s${SAME_LINE(80)}-i?(?:name|path)\s+["']?\*?(?:id_(?:rsa|dsa|ecdsa|ed25519)\b|\*?\.(?:pem|pfx|p12|kdbx|ovpn)\b|\.env\b|\.git-credentials\b|\.netrc\b|\.pgpass\b|wallet\.dat\b|credentials(?:\.json)?\b)|locate\s+(?:id_rsa|id_ed25519|wallet\.dat|\.kdbx)\b|grep\s+-[a-z]*r[a-z]*\s+(?:-\S+\s+)*["']?(?:password|passwd|secret|api[_-]?key|private[_ ]key|aws_secret_access_key)\S*\s+["']?(?:/|~/?|/home/?|/etc/?|/var/?|/root/?|\$home/?)(?=\s|$|[;&|)"'\x60}\]]))`,
    ),
    // From the root or a home directory: `find . -name "*.pem"` in a project is housekeeping.
    reason: 'searches the machine for keys and credential files',
  }),
  rule({
    id: 'group_escalation',
    family: 'privilege_escalation',
    weight: 0.6,
    triggers: ['usermod', 'gpasswd', 'adduser', 'net localgroup', 'add-localgroupmember'],
    pattern: rx(
      String.raw`(?:usermod\s+(?:-\S+\s+)*-a?g\s+\S*\b(?:sudo|wheel|admin|root|docker)\b|gpasswd\s+-a\s+\S+\s+(?:sudo|wheel|admin|root|docker)\b|adduser\s+\S+\s+(?:sudo|wheel|admin|root|docker)\b|net\s+localgroup\s+administrators\s+\S+\s+/add\b|add-localgroupmember\s+${SAME_LINE(40)}administrators)`,
    ),
    reason: 'adds an account to an administrators group',
  }),
  rule({
    id: 'credential_dumping_tool',
    family: 'credential_access',
    weight: 0.9,
    triggers: [
      'mimikatz',
      'sekurlsa',
      'lsadump',
      'procdump',
      'comsvcs',
      'lazagne',
      'reg save',
      'ntds',
      'security dump-keychain',
      'security find-generic-password',
      'secretsdump',
      'hashdump',
    ],
    pattern: rx(
      String.raw`(?:mimikatz|sekurlsa::\w+|lsadump::\w+|procdump(?:64)?(?:\.exe)?\s${SAME_LINE(60)}lsass|comsvcs(?:\.dll)?${SAME_LINE(60)}minidump|lazagne|reg(?:\.exe)?\s+save\s+hklm\\(?:sam|system|security)|ntds\.dit|security\s+(?:dump-keychain|find-generic-password|find-internet-password)|secretsdump(?:\.py)?|hashdump)`,
    ),
    reason: 'runs a credential-dumping tool',
  }),
  // --- privilege escalation and container escape ---------------------------------------------------------------------
  rule({
    id: 'suid_enumeration',
    family: 'privilege_escalation',
    weight: 0.55,
    triggers: ['find'],
    pattern: rx(String.raw`find\s+/\S*\s+${SAME_LINE(60)}-perm\s+(?:-|/|\+)?(?:u=s|g=s|[2467]000)\b`),
    reason: 'hunts for setuid binaries to escalate through',
  }),
  rule({
    id: 'sudoers_write',
    family: 'privilege_escalation',
    weight: 0.85,
    triggers: ['/etc/sudoers', 'nopasswd'],
    pattern: rx(
      String.raw`(?:(?<=(?:>>?|tee\s+(?:-a\s+)?)\s*)/etc/sudoers(?:\.d/\S*)?|(?<=\becho\s[^\n]{0,120})nopasswd${SAME_LINE(60)}(?:>>?|tee\b))`,
    ),
    reason: 'writes to sudoers',
  }),
  rule({
    id: 'nopasswd_all',
    family: 'privilege_escalation',
    weight: 0.55,
    triggers: ['nopasswd'],
    pattern: rx(String.raw`nopasswd\s*:\s*all`),
    reason: 'grants password-less root',
  }),
  rule({
    id: 'setuid_shell',
    family: 'privilege_escalation',
    weight: 0.8,
    triggers: ['chmod', 'setcap'],
    pattern: rx(
      String.raw`(?:chmod\s+(?:u\+s|\+s|[4-7][0-7]{3})\s+\S*(?:${SHELL}|python\d?|perl|find|vim?|env|cp|bash)\b|setcap\s+\S*cap_(?:setuid|sys_admin|dac_override))`,
    ),
    reason: 'makes a shell or interpreter setuid',
  }),
  rule({
    id: 'root_account_write',
    family: 'privilege_escalation',
    weight: 0.85,
    triggers: ['useradd', 'adduser', '/etc/passwd', '/etc/ld.so.preload'],
    pattern: rx(
      String.raw`(?:(?:useradd|adduser)\s${SAME_LINE(60)}(?:-o\s+-u\s*0|-u\s*0\s+-o)|(?<=\becho\s[^\n]{0,160}>>\s*)/etc/passwd|/etc/ld\.so\.preload)`,
    ),
    reason: 'adds a root account or preloads a library system-wide',
  }),
  rule({
    id: 'docker_socket',
    family: 'container_escape',
    weight: 0.8,
    triggers: ['docker.sock'],
    pattern: rx(
      String.raw`(?:(?<=--unix-socket\s+\S*)docker\.sock|(?<=(?:-v|--volume|--mount)\s*[= ]?\s*["']?(?:type=bind,\s*)?(?:source=|src=)?/var/run/)docker\.sock|docker\.sock${SAME_LINE(80)}(?:containers/create|/exec|privileged))`,
    ),
    reason: 'drives the host Docker daemon from inside a container',
  }),
  rule({
    id: 'host_root_mount',
    family: 'container_escape',
    weight: 0.85,
    triggers: ['docker', 'podman', 'nerdctl'],
    pattern: rx(
      String.raw`(?:(?:docker|podman|nerdctl)\s+run\b${SAME_LINE(200)}(?:-v|--volume|--mount)\s*[= ]?\s*["']?(?:type=bind,\s*)?(?:source=|src=)?/:/|(?:docker|podman)\s+run\b${SAME_LINE(200)}--privileged${SAME_LINE(200)}(?:nsenter|chroot|/bin/(?:ba)?sh|--pid[= ]host))`,
    ),
    reason: 'mounts the host root filesystem into a container',
  }),
  rule({
    id: 'nsenter_host',
    family: 'container_escape',
    weight: 0.85,
    triggers: ['nsenter', 'chroot', '/proc/1/root', 'release_agent', 'notify_on_release', 'core_pattern'],
    pattern: rx(
      String.raw`(?:nsenter\s+(?:-\S+\s+)*(?:-t|--target)\s*=?\s*1\b|chroot\s+/(?:host|mnt/host|hostfs|rootfs)\b|/proc/1/root|release_agent|notify_on_release|/proc/sys/kernel/core_pattern)`,
    ),
    reason: 'enters the host namespaces from a container',
  }),
  rule({
    id: 'python_sandbox_escape',
    family: 'sandbox_escape',
    weight: 0.75,
    triggers: [
      '__subclasses__',
      '__bases__',
      '__mro__',
      '__globals__',
      '__builtins__',
      '__import__',
      '().__class__',
      "''.__class__",
      '"".__class__',
    ],
    pattern: rx(
      String.raw`(?:__class__\s*\.\s*__(?:bases?|mro)__(?:\s*\[[^\]\n]{0,8}\])?\s*\.\s*__subclasses__\s*\(|__subclasses__\s*\(\s*\)\s*\[[^\]\n]{1,8}\]\s*\.\s*__init__\s*\.\s*__globals__|__globals__\s*\[\s*["'](?:os|sys|__builtins__|subprocess)|__builtins__\s*(?:\[|\.)\s*["']?__import__|__import__\s*\(\s*["'](?:os|subprocess|pty|socket)["']\s*\)\s*\.\s*(?:system|popen|spawn|call|run|check_output)|(?:\(\)|''|""|\[\])\s*\.\s*__class__\s*\.\s*__(?:bases|mro|base)__)`,
    ),
    reason: 'walks Python internals to reach os/subprocess: a sandbox escape',
  }),
  // --- persistence and defence evasion -------------------------------------------------------------------------
  rule({
    id: 'cron_persistence',
    family: 'persistence',
    weight: 0.8,
    triggers: ['crontab', '/etc/cron', '@reboot', 'cron.d'],
    pattern: rx(
      String.raw`(?:crontab|/etc/cron|@reboot|cron\.d)${SAME_LINE(200)}(?:curl|wget|\bnc\b|ncat|/dev/tcp|bash\s+-i|python\d?\s+-c|base64\s+-d)`,
    ),
    reason: 'schedules a downloader or shell in cron',
  }),
  rule({
    id: 'authorized_keys_append',
    family: 'persistence',
    weight: 0.75,
    triggers: ['.ssh/authorized_keys'],
    pattern: rx(
      String.raw`(?<=(?:>>\s*|tee\s+-a\s+)["']?(?:~|\$home|/root|/home/\w+)?/)\.ssh/authorized_keys`,
    ),
    reason: 'appends a key to authorized_keys',
  }),
  rule({
    id: 'shell_profile_implant',
    family: 'persistence',
    weight: 0.7,
    triggers: ['echo', 'printf'],
    pattern: rx(
      String.raw`(?:echo|printf)\s${SAME_LINE(200)}(?:curl|wget|\bnc\b|/dev/tcp|bash\s+-i)${SAME_LINE(100)}>>\s*["']?(?:~|\$home)?/?\.(?:bashrc|bash_profile|profile|zshrc)`,
    ),
    reason: 'plants a downloader or shell in a login profile',
  }),
  rule({
    id: 'windows_autorun',
    family: 'persistence',
    weight: 0.75,
    triggers: ['reg', 'schtasks', 'new-itemproperty', 'set-itemproperty'],
    pattern: rx(
      String.raw`(?:(?:reg(?:\.exe)?\s+add|new-itemproperty|set-itemproperty)\s${SAME_LINE(40)}\\software\\microsoft\\windows\\currentversion\\run(?:once)?\b|schtasks(?:\.exe)?\s+/create\b${SAME_LINE(200)}/sc\s+(?:onlogon|onstart|onidle))`,
    ),
    reason: 'registers a program to run at logon',
  }),
  rule({
    id: 'disable_defenses',
    family: 'defense_evasion',
    weight: 0.8,
    triggers: [
      'set-mppreference',
      'add-mppreference',
      'wevtutil',
      'clear-eventlog',
      'auditctl',
      'setenforce',
      'amsi',
      'histfile',
      'auditd',
      'apparmor',
      'falcon-sensor',
      'crowdstrike',
      'sentinelone',
      'osqueryd',
      'wazuh-agent',
    ],
    pattern: rx(
      String.raw`(?:set-mppreference\s+-disable(?:realtimemonitoring|behaviormonitoring|ioavprotection)\s+\$?(?:true|1)|add-mppreference\s+-exclusion(?:path|process)|wevtutil(?:\.exe)?\s+cl\b|clear-eventlog|auditctl\s+-e\s*0|setenforce\s+0|amsi(?:utils|initfailed|scanbuffer)|(?<=\b(?:unset|export)\s+)histfile\b(?:=/dev/null)?|(?<=systemctl\s+(?:stop|disable|mask)\s+)(?:auditd|apparmor|falcon-sensor|crowdstrike|sentinelone|osqueryd|wazuh-agent))`,
    ),
    reason: 'disables security monitoring or wipes audit trails',
  }),
  rule({
    id: 'log_wipe',
    family: 'defense_evasion',
    weight: 0.8,
    triggers: ['/var/log/'],
    pattern: rx(
      String.raw`(?<=(?:rm\s+-[a-z]*|shred\s+(?:-\S+\s+)*|truncate\s+-s\s*0\s+|cat\s+/dev/null\s*>\s*|>\s*))/var/log/(?:auth\.log|secure|syslog|messages|wtmp|btmp|lastlog|audit/audit\.log|\*)`,
    ),
    reason: 'wipes system logs',
  }),
  // --- obfuscated execution -----------------------------------------------------------------------------------------
  rule({
    id: 'base64_pipe_shell',
    family: 'obfuscated_exec',
    weight: 0.85,
    triggers: ['base64', 'openssl'],
    pattern: rx(
      String.raw`(?:base64\s+(?:-d|--decode|-di)|openssl\s+(?:enc\s+)?(?:-d\s+)?-?base64\s+-d)${SAME_LINE(80)}\|\s*(?:sudo\s+)?${SHELL}`,
    ),
    reason: 'decodes base64 straight into a shell',
  }),
  rule({
    id: 'eval_decoded_payload',
    family: 'obfuscated_exec',
    weight: 0.75,
    triggers: ['exec', 'eval'],
    pattern: rx(
      String.raw`(?:exec|eval)\s*\(\s*(?:base64\.b64decode|__import__\s*\(\s*["'](?:base64|zlib|marshal|codecs)|codecs\.decode|zlib\.decompress|marshal\.loads|bytes\.fromhex|atob\s*\(|unescape\s*\(|string\.fromcharcode|gzinflate\s*\(|base64_decode\s*\(|str_rot13\s*\()`,
    ),
    reason: 'executes a decoded payload',
  }),
];
