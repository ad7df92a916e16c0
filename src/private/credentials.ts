/**
 * Where credentials hide, and how to keep them out of what we print.
 *
 * One module for detection (the unsuppressible literal-credential rules) and for redaction (every
 * error message, finding, report and CLI path): what one finds, the other masks.
 *
 * Detection never returns a credential's value: only what kind of credential it is and where.
 * A value that is a reference is never a credential: empty, a variable (`$VAR`, `${VAR}`,
 * `$(VAR)`, `%env(VAR)%`), a template (`{{ .password }}`), a placeholder (`<password>`,
 * `@@PASSWORD:user@@`), a mask (`***`), an absolute file path, or a boolean / null.
 */

/** A credential found in an argument vector: its index (never its value) and what it is. */
export interface ArgumentCredential {
  readonly index: number;
  readonly what: string;
}

/** A credential found in a configuration file: its 1-based line and what it is. */
export interface LineCredential {
  readonly line: number;
  readonly what: string;
}

const BOOLEAN_OR_NULL = /^(true|false|yes|no|on|off|null|none|nil|~)$/i;

/** True if a value refers to a credential held elsewhere (or holds none) rather than being one. */
export function isReference(value: string): boolean {
  const v = unquote(value.trim());
  if (v === '') return true;
  // every form starts with its own character: one comparison picks the one pattern that can match
  // (most values are none, and a cold regular expression costs more than the rest of a rule)
  const c = v.charCodeAt(0);
  switch (c) {
    case 0x24: return true; // $VAR, ${VAR}, $(VAR), $(cat /run/secrets/x)
    case 0x7b: return v.charCodeAt(1) === 0x7b; // {{ External Secrets / Helm templates
    case 0x25: return /^%env\([^)]*\)%$/.test(v) || /^%\([^)]*\)s$/.test(v);
    case 0x3c: return /^<[^<>]*>$/.test(v); // a documentation placeholder: no secret in it
    case 0x40: return /^@@[A-Za-z0-9_:.<>-]+@@$/.test(v); // replaced at run time from a mounted Secret
    case 0x2a: return /^\*+$/.test(v);
    case 0x2f: return /^\/[^\s]*$/.test(v); // a file holding the credential
    case 0x7e: return v.length === 1; // ~ (YAML null)
  }
  const first = v[0];
  // file:, env:, secret:, vault:, ref+x: (not a URL with a password)
  if ('fFeEsSvVrR'.includes(first) && /^(file|env|secret|vault|ref\+[a-z]+):\/?\/?\S+$/i.test(v) && !/^[a-z]+:\/\/[^/\s]*:[^/\s]*@/i.test(v)) return true;
  // true, false, yes, no, on, off, null, none, nil
  return v.length <= 5 && 'tTfFyYnNoO'.includes(first) && BOOLEAN_OR_NULL.test(v);
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith('\'') && v.endsWith('\'')))) return v.slice(1, -1);
  return v;
}

/** Words after which `key` names a credential (`JWT_SIGNING_KEY`, `apiKey`), unlike others (`passwordKey`, `SORT_KEY`). */
const KEY_QUALIFIERS = 'secret|access|private|signing|sign|encryption|encrypt|master|client|hmac|jwt|session|crypto|cipher|license|licence|webhook|shared|api|app'
  + '|auth|account|storage|service|subscription|consumer';

/**
 * A credential name, matched case-insensitively: its last word (digits-only words and separators
 * at the end ignored) is a credential. RE2-compatible (plain groups), so the exported Kyverno
 * policy uses it as is.
 */
export const CREDENTIAL_NAME_PATTERN = '^(|.*[^a-z0-9])('
  + '[a-z0-9]*(password|passwd|passphrase|secret|token|apikey|credentials?)' // DB_PASSWORD, PGPASSWORD, clientSecret, API_TOKEN
  + '|pass' // rabbitmq default_pass (not bypass: another word)
  + '|[a-z0-9]+[^a-z0-9]+pwd' // DB_PWD, MYSQL_PWD (not PWD alone: the working directory)
  + `|[a-z0-9]*(${KEY_QUALIFIERS})[^a-z0-9]*key` // AWS_SECRET_ACCESS_KEY, JWT_SIGNING_KEY, apiKey
  + '|erlang[^a-z0-9]*cookie' // RABBITMQ_ERLANG_COOKIE
  + ')([^a-z0-9]+[0-9]+)*[^a-z0-9]*$';
const CREDENTIAL_NAME = new RegExp(CREDENTIAL_NAME_PATTERN, 'i');

/**
 * True if a name (an environment variable, a flag without its dashes, a configuration key) names a
 * credential: its last word is one (`DB_PASSWORD`, `PGPASSWORD`, `client_secret`, `API_TOKEN`,
 * `DB_PWD`, `default_pass`, `JWT_SIGNING_KEY`, `RABBITMQ_ERLANG_COOKIE`). A name that ends in a
 * word saying where the credential is or how it is handled is not (`PASSWORD_FILE`,
 * `passwordSecretRef`, `passwordKey`, `secretName`, `password_encryption`, `token_ttl`).
 */
export function isCredentialName(name: string): boolean {
  // the last words decide; a hostile name of a megabyte is not matched whole
  const last = name.length > 128 ? name.slice(-128) : name;
  // every credential name holds one of these words (most names hold none): the pattern runs only then
  const lower = last.toLowerCase();
  if (!lower.includes('pass') && !lower.includes('pwd') && !lower.includes('secret') && !lower.includes('token')
    && !lower.includes('key') && !lower.includes('credential') && !lower.includes('cookie')) return false;
  return CREDENTIAL_NAME.test(last);
}

/**
 * A value that is a reference, not a credential (see {@link isReference}), for the exported Kyverno
 * policy (RE2, used case-insensitively; plain groups: the evaluator refuses `(?:`): variables, templates,
 * placeholders, masks, file paths, booleans and null.
 */
export const REFERENCE_VALUE_PATTERN = '^ *([$]|\\x7b\\x7b|%env[(]|<[^<>]*> *$|@@[A-Za-z0-9_:.<>-]+@@ *$|[*]+ *$|/[^ ]* *$|(true|false|yes|no|on|off|null|none|nil|~) *$)';

/** Query-string parameters that carry a signature or a token (pre-signed URLs, SAS tokens, API keys). */
const SIGNATURE_PARAMETER = /[?&;](x-amz-signature|x-amz-security-token|x-amz-credential|x-goog-signature|x-goog-credential|signature|sig|token|access_token|id_token|refresh_token|auth_token|api_key|apikey|api-key|password|passwd|pwd|secret|client_secret|awsaccesskeyid)=([^&#\s'"]*)/gi;

/** Well-known credential shapes (precise enough to flag anywhere). */
const TOKEN_SHAPES: Array<[string, RegExp]> = [
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a GitHub token', /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/],
  ['a GitLab token', /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ['a Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
  ['a Stripe key', /\b[sr]k_live_[A-Za-z0-9]{16,}\b/],
  ['a Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['a JWT', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/],
];

/**
 * What every token shape above contains (one pass over a text instead of one per shape: most texts
 * hold none of them). Keep it in step with TOKEN_SHAPES.
 */
const TOKEN_SHAPE_HINT = /PRIVATE KEY-----|AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox[abprs]-|k_live_|AIza|eyJ/;

/** The shortest text a token shape matches (a Slack token: `xoxb-` and ten characters). */
const MIN_TOKEN_SHAPE_LENGTH = 15;

/** Where a text splits into tokens: a URL or an address never spans these. */
const TOKEN = /[^\s'"`<>]+/g;
/** At most this many `scheme://` per token are looked at (bounds the work on hostile input). */
const MAX_URLS_PER_TOKEN = 8;

/**
 * The user info of the URLs in a token (`scheme://userinfo@host`; a password may hold `@` and
 * `/`: the user info runs to the token's last `@`): where it starts and ends. Linear in the token.
 */
function urlUserinfos(token: string): Array<{ start: number; end: number; userinfo: string }> {
  const out: Array<{ start: number; end: number; userinfo: string }> = [];
  const lastAt = token.lastIndexOf('@');
  let from = 0;
  for (let n = 0; n < MAX_URLS_PER_TOKEN && lastAt >= 0; n++) {
    const sep = token.indexOf('://', from);
    if (sep < 0 || sep > lastAt) break;
    from = sep + 3;
    if (!/[a-z][a-z0-9+.-]{0,30}$/i.test(token.slice(Math.max(0, sep - 32), sep))) continue; // no scheme before it
    out.push({ start: sep + 3, end: lastAt, userinfo: token.slice(sep + 3, lastAt) });
  }
  return out;
}

/** The password of a URL's user info `user:pw`, if it has one (a password may hold `@`, `/`). */
function urlPassword(userinfo: string): string | undefined {
  if (userinfo.includes('/') && !userinfo.includes(':')) return undefined; // `https://host/@scope/x`: a path, not user info
  const colon = userinfo.indexOf(':');
  if (colon < 0) return undefined;
  const user = userinfo.slice(0, colon);
  if (/[/?#]/.test(user)) return undefined; // `https://host/a:b@c`: a path
  const password = userinfo.slice(colon + 1);
  if (/^\d+\/?$/.test(password) && !userinfo.includes('@')) return undefined; // `host:8080/@scope`: a port
  return password;
}

/** An scp-like or Go-driver address with a password, anchored at a token (after an optional `name=`): `user:pw@host:path`, `user:pw@tcp(host)/db`. */
const BARE_USERINFO = /^((?:[^:@]*[=,(])?)([A-Za-z0-9._~%+-]+):(.*)@((?:tcp|unix|udp)\(|[A-Za-z0-9.-]+:(?!\/\/))/;

function bareUserinfo(token: string): { lead: string; password: string; host: string; length: number } | undefined {
  if (token.indexOf('@') < 0) return undefined;
  const m = BARE_USERINFO.exec(token);
  if (!m || /^(sha\d+|blake\d+):?$/i.test(m[4]) || m[3] === '') return undefined; // an image digest (`name:1.0@sha256:...`)
  return { lead: m[1], password: m[3], host: m[4], length: m[0].length };
}

/** `password=x` (libpq, ADO.NET, JDBC and JAAS connection strings), `PASSWORD 'x'` / `IDENTIFIED BY 'x'` (SQL). */
const KEYWORD_ASSIGNMENT = /(?:^|[\s;,?&({"'])((?:[A-Za-z0-9]+[_.-])*(?:password|passwd|pwd|secret|token|apikey|api_key|access_key|secret_key))\s*=\s*("[^"]*"|'[^']*'|[^\s;,&'")]*)/gi;
const SQL_PASSWORD = /\b(?:PASSWORD|IDENTIFIED\s+BY)\s+'((?:[^']|'')+)'/gi;
/** What a text matching KEYWORD_ASSIGNMENT (SQL_PASSWORD) holds: one cheap pass before the pattern. Keep them in step. */
const KEYWORD_HINT = /pass|pwd|secret|token|api_?key|access_key/i;
const SQL_PASSWORD_HINT = /password|identified/i;

/**
 * The credentials embedded in a piece of text (a value, an argument, a line of a file): URLs with
 * a password, bare `user:pw@host:` addresses, signatures and tokens in query strings, connection
 * string keywords (`password=`), SQL passwords, well-known token shapes.
 */
export function textCredentials(text: string): string[] {
  if (text.length < MEMO_MIN_LENGTH || text.length > MEMO_MAX_LENGTH) return scanText(text);
  return [...memo(TEXT_MEMO, text, () => scanText(text))];
}

/**
 * Texts at least this long (scripts, configuration files, JSON) have their results remembered: a
 * fleet repeats the same scripts and settings in every service and environment.
 */
const MEMO_MIN_LENGTH = 128;
/**
 * Longer texts are not remembered; nor more than MEMO_MAX_ENTRIES texts or MEMO_MAX_CHARS characters
 * per memo (then all are forgotten at once): a few MiB of texts kept alive at most. (A fleet of 100
 * services holds over a thousand different long texts: a memo that forgets all at 500 entries can
 * forget the scripts repeated in every service with them.)
 */
const MEMO_MAX_LENGTH = 16 * 1024;
const MEMO_MAX_ENTRIES = 20_000;
const MEMO_MAX_CHARS = 4 * 1024 * 1024;
/** Entries and characters of CONFIG_FILE_MEMO, all names together. */
let configFileEntries = 0;
let configFileChars = 0;
const TEXT_MEMO = new Map<string, string[]>();
const SHELL_MEMO = new Map<string, string[]>();
const CONFIG_FILE_MEMO = new Map<string, Map<string, LineCredential[]>>();
/** Characters of the texts each memo holds. */
const MEMO_CHARS = new Map<Map<string, unknown>, number>();

function memo<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    const chars = (MEMO_CHARS.get(cache) ?? 0) + key.length;
    if (cache.size >= MEMO_MAX_ENTRIES || chars > MEMO_MAX_CHARS) {
      cache.clear();
      MEMO_CHARS.set(cache, key.length);
    } else {
      MEMO_CHARS.set(cache, chars);
    }
    cache.set(key, value);
  }
  return value;
}

/**
 * False when {@link textCredentials} finds nothing in `text` for want of what every pattern needs
 * (`@`, `=`, `'` or a token shape prefix): the test {@link scanText} starts with, without a scan.
 */
export function mayHoldCredentialText(text: string): boolean {
  return text.includes('@') || text.includes('=') || text.includes("'") || (text.length >= MIN_TOKEN_SHAPE_LENGTH && TOKEN_SHAPE_HINT.test(text));
}

/** Whether {@link textCredentials} finds anything in `text` (without copying what it finds). */
export function holdsTextCredentials(text: string): boolean {
  if (text.length < MEMO_MIN_LENGTH || text.length > MEMO_MAX_LENGTH) return scanText(text).length > 0;
  return memo(TEXT_MEMO, text, () => scanText(text)).length > 0;
}

function scanText(text: string): string[] {
  // each pattern below needs one of these characters (or, for the token shapes, this length): most
  // values have none of them, and a ConfigMap can hold 100,000 values
  const at = text.includes('@');
  const equals = text.includes('=');
  const quote = text.includes("'");
  const shapes = text.length >= MIN_TOKEN_SHAPE_LENGTH && TOKEN_SHAPE_HINT.test(text);
  if (!at && !equals && !quote && !shapes) return [];
  const found = new Set<string>();
  // (exec loops over the module's global patterns: `matchAll` would copy each pattern for every text;
  // none of them matches the empty string, and nothing called inside a loop uses its pattern)
  let m: RegExpExecArray | null;
  if (at) {
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      const token = m[0];
      for (const { userinfo } of urlUserinfos(token)) {
        const password = urlPassword(userinfo);
        if (password !== undefined && !isReference(password)) found.add('a password in a URL');
      }
      const bare = bareUserinfo(token);
      if (bare && !isReference(bare.password)) found.add('a password in a connection address');
    }
  }
  if (equals) {
    SIGNATURE_PARAMETER.lastIndex = 0;
    while ((m = SIGNATURE_PARAMETER.exec(text)) !== null) {
      if (!isReference(decodeSafe(m[2]))) found.add(`a credential in the query parameter "${m[1]}"`);
    }
    // every keyword holds one of these words: most texts with `=` (settings, selectors) hold none
    if (KEYWORD_HINT.test(text)) {
      KEYWORD_ASSIGNMENT.lastIndex = 0;
      while ((m = KEYWORD_ASSIGNMENT.exec(text)) !== null) {
        if (isCredentialName(m[1]) && !isReference(m[2])) found.add(`a literal ${m[1]} in a connection string`);
      }
    }
  }
  if (quote && SQL_PASSWORD_HINT.test(text)) {
    SQL_PASSWORD.lastIndex = 0;
    while ((m = SQL_PASSWORD.exec(text)) !== null) {
      if (!isReference(m[1])) found.add('a literal SQL password');
    }
  }
  if (shapes) for (const [what, re] of TOKEN_SHAPES) if (re.test(text)) found.add(what);
  return [...found];
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Commands of the MySQL family: there `-pSECRET` is a password (elsewhere `-p` is often a port). */
const MYSQL_COMMAND = /(^|\/)(mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mysqlpump|mysqlbinlog|mariadb|mariadb-dump|mariadb-admin|mariadb-import|mariadb-check|mariadb-show|mariadb-binlog|mysqlsh)$/;
/** Flags whose value is `user:password` (curl, wget and friends). */
const USER_PASSWORD_FLAG = /^(--user|-u|--proxy-user|--basic-auth)$/;
/** Shells whose `-c` argument is a script. */
const SHELL = /(^|\/)(sh|bash|ash|dash|zsh|ksh)$/;

/**
 * The credentials in an argument vector (a container's `command` + `args`): `--password=x`,
 * `--password x` (the next argument), `-Dspring.datasource.password=x`, `PGPASSWORD=x` (through
 * `env`), `-px` (MySQL), `--user u:pw`, anything embedded in an argument ({@link textCredentials})
 * and the same inside shell scripts (`sh -c "..."`) and arguments holding a command line.
 */
export function argvCredentials(argv: readonly string[]): ArgumentCredential[] {
  const out: ArgumentCredential[] = [];
  const seen = new Set<number>();
  const add = (index: number, what: string) => {
    if (!seen.has(index)) {
      seen.add(index);
      out.push({ index, what });
    }
  };
  const words = argv.map((a) => (typeof a === 'string' ? a : ''));
  const isScript = (i: number) => i > 0 && words[i - 1] === '-c' && words.slice(0, i - 1).some((w) => SHELL.test(w));
  // a script is read as shell words below, not as one argument
  for (const { index, what } of wordCredentials(words.map((w, i) => (isScript(i) ? ';' : w)))) add(index, what);
  words.forEach((a, i) => {
    for (const what of textCredentials(a)) add(i, what);
    if (isScript(i) || /\s/.test(a)) {
      const what = shellCredentials(a)[0];
      if (what !== undefined) add(i, what);
    }
  });
  return out.sort((a, b) => a.index - b.index);
}

/** The credentials in a list of words (one command, or the words of a script). */
function wordCredentials(words: readonly string[]): ArgumentCredential[] {
  const out: ArgumentCredential[] = [];
  let mysql = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === ';' || w === '&&' || w === '||' || w === '|' || w === '&') {
      mysql = false;
      continue;
    }
    if (MYSQL_COMMAND.test(w)) mysql = true;
    const flag = /^(--?)([A-Za-z][\w.-]*)(?:=(.*))?$/s.exec(w);
    if (flag) {
      const [, dashes, name, value] = flag;
      if (dashes === '-' && /^D./.test(name) && value !== undefined) { // -Dkey=value (JVM system property)
        if (isCredentialName(name.slice(1)) && !isReference(value)) out.push({ index: i, what: `a literal ${name.slice(1)} system property` });
        continue;
      }
      if (mysql && dashes === '-' && /^p./.test(name) && value === undefined && !/^p\d+$/.test(name)) {
        out.push({ index: i, what: 'a literal MySQL password (-p)' });
        continue;
      }
      if (USER_PASSWORD_FLAG.test(`${dashes}${name}`)) {
        const v = value ?? words[i + 1];
        if (v !== undefined && !isReference(v) && /^[^:\s$]*:./.test(v) && !isReference(v.slice(v.indexOf(':') + 1))) {
          out.push({ index: value !== undefined ? i : i + 1, what: `a literal password in ${dashes}${name}` });
        }
        continue;
      }
      if ((dashes === '--' || name.length > 1) && isCredentialName(name)) {
        if (value !== undefined) {
          if (!isReference(value)) out.push({ index: i, what: `a literal ${dashes}${name}` });
        } else if (i + 1 < words.length && !/^-/.test(words[i + 1]) && !isSeparator(words[i + 1]) && !isReference(words[i + 1])) {
          out.push({ index: i + 1, what: `a literal ${dashes}${name} (the next argument)` });
        }
      }
      continue;
    }
    const assignment = /^(?:export\s+)?([A-Za-z_][\w.-]*)=(.*)$/s.exec(w);
    if (assignment && isCredentialName(assignment[1]) && !isReference(assignment[2])) {
      out.push({ index: i, what: `a literal ${assignment[1]}` });
    }
  }
  return out;
}

function isSeparator(w: string): boolean {
  return w === ';' || w === '&&' || w === '||' || w === '|' || w === '&';
}

/**
 * The credentials in a shell script (`sh -c` strings, `.sh` files): its words are read as a shell
 * does (quotes, escapes, `;`, `&&`, `|`, new lines), then checked as arguments and assignments.
 */
export function shellCredentials(script: string): string[] {
  // scripts (`sh -c "..."` arguments) repeat in every service and environment of a fleet, as texts do
  if (script.length < MEMO_MIN_LENGTH || script.length > MEMO_MAX_LENGTH) return scanShell(script);
  return [...memo(SHELL_MEMO, script, () => scanShell(script))];
}

function scanShell(script: string): string[] {
  const words = shellWords(script);
  const found = new Set<string>();
  for (const { what } of wordCredentials(words)) found.add(what);
  for (const w of words) for (const what of textCredentials(w)) found.add(what);
  return [...found];
}

/**
 * Splits a shell script into words, roughly as a POSIX shell does: quotes removed (a quoted
 * `$VAR` stays `$VAR`: a reference), `\` escapes, `#` comments, operators as their own words.
 * `$(...)` and backquotes are kept whole inside the word that holds them.
 */
export function shellWords(script: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  const push = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (c === '\\' && i + 1 < script.length) {
      if (script[i + 1] !== '\n') word = (word ?? '') + script[i + 1];
      i++;
    } else if (c === '\'') {
      const end = script.indexOf('\'', i + 1);
      const stop = end < 0 ? script.length : end;
      word = (word ?? '') + script.slice(i + 1, stop);
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < script.length && script[j] !== '"') {
        if (script[j] === '\\' && j + 1 < script.length && '$`"\\\n'.includes(script[j + 1])) j++;
        s += script[j];
        j++;
      }
      word = (word ?? '') + s;
      i = j;
    } else if (c === '$' && script[i + 1] === '(') {
      let depth = 0;
      let j = i;
      for (; j < script.length; j++) {
        if (script[j] === '(') depth++;
        else if (script[j] === ')' && --depth === 0) break;
      }
      word = (word ?? '') + script.slice(i, j + 1);
      i = j;
    } else if (c === '`') {
      const end = script.indexOf('`', i + 1);
      const stop = end < 0 ? script.length : end;
      word = (word ?? '') + script.slice(i, stop + 1);
      i = stop;
    } else if (c === '#' && word === undefined) {
      while (i < script.length && script[i] !== '\n') i++;
      words.push(';');
    } else if (c === '\n' || c === ';') {
      push();
      words.push(';');
    } else if (c === '&' || c === '|') {
      push();
      const op = script[i + 1] === c ? c + c : c;
      words.push(op);
      i += op.length - 1;
    } else if (/\s/.test(c)) {
      push();
    } else {
      word = (word ?? '') + c;
    }
  }
  push();
  return words;
}

/** What is wrong with an environment variable `name=value` (a literal credential), if anything. */
export function envCredential(name: string, value: string): string | undefined {
  if (isReference(value)) return undefined;
  if (isCredentialName(name)) return `sets ${name} to a literal value`;
  const embedded = textCredentials(value)[0];
  if (embedded !== undefined) return `sets ${name} to a value holding ${embedded}`;
  // options the program or the JVM splits into arguments (JAVA_TOOL_OPTIONS, JAVA_OPTS, *_ARGS):
  // `-Dspring.datasource.password=x`, `--password x`, read as a command line
  if (value.charCodeAt(0) !== 0x2d && !value.includes(' -')) return undefined;
  const option = shellCredentials(value)[0];
  return option === undefined ? undefined : `sets ${name} to options passing ${option}`;
}

/** What is wrong with a configuration setting `key = value` (a broker setting, a ConfigMap key), if anything. */
export function settingCredential(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null || typeof value === 'boolean' || typeof value === 'number') return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (isReference(text)) return undefined;
  if (isCredentialName(key)) return `"${key}" is a credential-like setting with a literal value`;
  const embedded = textCredentials(text)[0];
  return embedded === undefined ? undefined : `"${key}" holds ${embedded}`;
}

/** Where a `key = value` / `key: value` / `"key": "value"` line is. */
const CONFIG_LINE = /^\s*(?:export\s+|-\s+)?("[^"]+"|'[^']+'|[A-Za-z0-9_.\-[\]@/]+)\s*(=|:)(.*)$/;

/**
 * The credentials in a configuration file held by a ConfigMap (properties, YAML, INI, TOML,
 * `.env`, JSON, shell scripts): credential-like keys with a literal value, at any depth, and
 * credentials embedded in any line.
 */
export function configFileCredentials(fileName: string, content: string): LineCredential[] {
  if (content.length > MEMO_MAX_LENGTH) return scanConfigFile(fileName, content);
  // by name, then by content: the content string is hashed once (then again by textCredentials for free)
  let found = CONFIG_FILE_MEMO.get(fileName)?.get(content);
  if (found === undefined) {
    found = scanConfigFile(fileName, content);
    if (configFileEntries >= MEMO_MAX_ENTRIES || configFileChars + content.length > MEMO_MAX_CHARS) {
      CONFIG_FILE_MEMO.clear();
      configFileEntries = 0;
      configFileChars = 0;
    }
    let byContent = CONFIG_FILE_MEMO.get(fileName);
    if (!byContent) {
      byContent = new Map();
      CONFIG_FILE_MEMO.set(fileName, byContent);
    }
    byContent.set(content, found);
    configFileEntries++;
    configFileChars += content.length;
  }
  return found.map((c) => ({ ...c }));
}

function scanConfigFile(fileName: string, content: string): LineCredential[] {
  const out: LineCredential[] = [];
  // (the regular expressions below run only where the cheap test before them allows a match)
  const lines = content.includes('\n') ? content.split(/\r?\n/) : [content];
  const script = fileName.endsWith('.sh') || fileName.endsWith('.bash')
    || (lines[0].startsWith('#!') && /^#!.*\b(sh|bash|ash|dash|zsh|ksh)\b/.test(lines[0]));
  if (script) {
    // statement by statement, so a finding names its line
    lines.forEach((line, i) => {
      const what = lineCredential(SCRIPT_LINES, line, scriptLineCredential);
      if (what !== undefined) out.push({ line: i + 1, what });
    });
    return out;
  }
  const json = jsonDocument(content);
  if (json !== undefined) {
    walkJson(json, (key, value) => {
      const what = settingCredential(key, value);
      if (what !== undefined) out.push({ line: lineOf(lines, key), what });
    });
    return out;
  }
  lines.forEach((raw, i) => {
    const what = lineCredential(CONFIG_LINES, raw, configLineCredential);
    if (what !== undefined) out.push({ line: i + 1, what });
  });
  return out;
}

/**
 * What one line of a configuration file (of a script) holds, remembered by line: the files of a
 * fleet differ in a line or two (a name in a comment), their other lines repeat in every service.
 * Lines up to LINE_MEMO_MAX_LENGTH, at most LINE_MEMO_MAX_ENTRIES per table (then all forgotten).
 */
function lineCredential(memoTable: Map<string, string | null>, line: string, scan: (line: string) => string | undefined): string | undefined {
  if (line.length > LINE_MEMO_MAX_LENGTH) return scan(line);
  let what = memoTable.get(line);
  if (what === undefined) {
    what = scan(line) ?? null;
    if (memoTable.size >= LINE_MEMO_MAX_ENTRIES) memoTable.clear();
    memoTable.set(line, what);
  }
  return what ?? undefined;
}

const LINE_MEMO_MAX_LENGTH = 256;
const LINE_MEMO_MAX_ENTRIES = 4000;
const SCRIPT_LINES = new Map<string, string | null>();
const CONFIG_LINES = new Map<string, string | null>();

function scriptLineCredential(line: string): string | undefined {
  return shellCredentials(line)[0];
}

function configLineCredential(raw: string): string | undefined {
  const line = raw.trim();
  if (line === '' || ('#;/-!'.includes(line[0]) && /^(#|;|\/\/|--(\s|$)|!)/.test(line)) || (line[0] === '[' && /^\[[^\]]*\]$/.test(line))) return undefined;
  const m = raw.includes('=') || raw.includes(':') ? CONFIG_LINE.exec(raw) : null;
  // (the value is looked at only for a credential-like key: most keys are none)
  if (m && isCredentialName(unquote(m[1]))) {
    const key = unquote(m[1]);
    let value = m[3].trim();
    if (m[2] === ':' && /^\/\//.test(value)) value = ''; // `host: http://…` is handled below as text
    const comment = value.search(/\s[#;]\s/);
    if (comment >= 0) value = value.slice(0, comment);
    value = value.trim().replace(/,$/, '').trim();
    if (value !== '' && !/^[|>][-+]?\d*$/.test(value) && !/^[{[]/.test(value) && !isReference(value)) return `a literal ${key}`;
  }
  return textCredentials(raw)[0];
}

function jsonDocument(content: string): unknown {
  // `\s` and trim() strip the same white space
  const first = content.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(content);
  } catch {
    return undefined;
  }
}

/** Calls `visit` with every (key, scalar value) of a JSON document. */
function walkJson(v: unknown, visit: (key: string, value: unknown) => void, key = ''): void {
  if (Array.isArray(v)) v.forEach((x) => walkJson(x, visit, key));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walkJson(x, visit, k);
  else visit(key, v);
}

function lineOf(lines: string[], key: string): number {
  const i = lines.findIndex((l) => l.includes(`"${key}"`));
  return i < 0 ? 1 : i + 1;
}

// ---------------------------------------------------------------------------------------------
// Redaction

const MASK = '***';
/** What may follow a `key: value` that is a whole setting (the end of the line or of a flow item). */
const VALUE_END = /[ \t]*(?:[,}\r\n]|$)/y;

/**
 * Masks every credential in a text meant for people (error messages, findings, reports, a child
 * process's standard error): URL passwords (those holding `@` or `/` too), `user:pw@host:`
 * addresses, signed query strings, `--password x`, `PASSWORD=x`, `password: x`, SQL passwords,
 * private keys and well-known token shapes. The rest of the text is kept.
 */
export function redactSecrets(text: string): string {
  if (typeof text !== 'string' || text === '') return text;
  let s = text;
  s = s.replace(/(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, `$1${MASK}$2`);
  // URLs and addresses, token by token; the whole user info goes (a user name may be a token: `https://ghp_…@github.com`)
  s = s.replace(TOKEN, redactToken);
  s = s.replace(SIGNATURE_PARAMETER, (all, _name: string, value: string) => (value === '' || isReference(decodeSafe(value)) ? all : all.replace(`=${value}`, `=${MASK}`)));
  // --password x, --password=x, -Dx.password=x
  s = s.replace(/(^|[\s'"[(,])(--?[A-Za-z][\w.-]*)(=|[ \t]+)("[^"]*"|'[^']*'|[^\s'",;)\]]+)/g, (all, lead: string, flag: string, sep: string, value: string) => {
    const name = flag.replace(/^--?(D(?=[a-z]))?/, '');
    if (!isCredentialName(name) || isReference(value) || value.startsWith('-') || value === MASK) return all;
    return `${lead}${flag}${sep}${MASK}`;
  });
  // NAME=x, name = x, password: x (YAML / JSON, the value ending the line or the item)
  s = s.replace(/(^|[^\w.-])([A-Za-z_][\w.-]*)("?)(\s*=\s*)("[^"]*"|'[^']*'|[^\s'",;&)}\]]+)/gm, (all, lead: string, name: string, q: string, sep: string, value: string) => (
    !isCredentialName(name) || isReference(value) || value === MASK ? all : `${lead}${name}${q}${sep}${MASK}`));
  // (what follows the value is checked after the match, not by a look-ahead: a failing look-ahead would rescan the value from every later start)
  s = s.replace(/(^|[^\w.-])([A-Za-z_][\w.-]*)("?:[ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s'",}\]]+)/g,
    (all, lead: string, name: string, sep: string, value: string, offset: number, whole: string) => {
      VALUE_END.lastIndex = offset + all.length;
      if (!VALUE_END.test(whole) || !isCredentialName(name) || isReference(value) || value === MASK) return all;
      return `${lead}${name}${sep}${MASK}`;
    });
  s = s.replace(SQL_PASSWORD, (all, value: string) => (isReference(value) ? all : all.replace(`'${value}'`, `'${MASK}'`)));
  for (const [, re] of TOKEN_SHAPES) {
    if (/PRIVATE KEY/.test(re.source)) continue;
    s = s.replace(new RegExp(re.source, 'g'), MASK);
  }
  return s;
}

/** Masks the user info of a token's URL, or the password of its scp-like address. */
function redactToken(token: string): string {
  for (const { start, end, userinfo } of urlUserinfos(token)) {
    if (userinfo.includes('/') && !userinfo.includes(':') && !userinfo.includes('@')) continue; // `https://host/@scope`: a path
    const colon = userinfo.indexOf(':');
    if (/[/?#]/.test(colon < 0 ? userinfo : userinfo.slice(0, colon))) continue;
    if (colon >= 0 && /^(\{\{|\$)/.test(userinfo.slice(colon + 1))) continue; // a template or a variable
    return `${token.slice(0, start)}${MASK}${token.slice(end)}`;
  }
  const bare = bareUserinfo(token);
  if (bare && bare.password !== MASK && !isReference(bare.password)) return `${bare.lead}${MASK}@${bare.host}${token.slice(bare.length)}`;
  return token;
}

/** True if a URL carries a password in its user info (`https://user:token@host`): a credential written into Git. */
export function hasUrlPassword(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^\s]*)@/i.exec(url);
  return m !== null && urlPassword(m[1]) !== undefined;
}
