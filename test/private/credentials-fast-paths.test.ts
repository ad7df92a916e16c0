import * as fc from 'fast-check';
import { configFileCredentials, isCredentialName, isReference, settingCredential, shellCredentials, textCredentials } from '../../src/private/credentials';

/**
 * isReference, isCredentialName and the configuration file scan test a few characters before
 * running their regular expressions (policy evaluation calls them for every value, and a cold
 * regular expression costs more than the rest of a rule). The references below are those
 * functions as they were before (kept verbatim): both must answer the same for any text.
 */
const BOOLEAN_OR_NULL = /^(true|false|yes|no|on|off|null|none|nil|~)$/i;

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith('\'') && v.endsWith('\'')))) return v.slice(1, -1);
  return v;
}

function referenceIsReference(value: string): boolean {
  const v = unquote(value.trim());
  if (v === '') return true;
  if (/^\$/.test(v)) return true;
  if (/^\{\{.*\}\}$/s.test(v) || /^\{\{/.test(v)) return true;
  if (/^%env\([^)]*\)%$/.test(v) || /^%\([^)]*\)s$/.test(v)) return true;
  if (/^<[^<>]*>$/.test(v)) return true;
  if (/^@@[A-Za-z0-9_:.<>-]+@@$/.test(v)) return true;
  if (/^\*+$/.test(v)) return true;
  if (/^\/[^\s]*$/.test(v)) return true;
  if (/^(file|env|secret|vault|ref\+[a-z]+):\/?\/?\S+$/i.test(v) && !/^[a-z]+:\/\/[^/\s]*:[^/\s]*@/i.test(v)) return true;
  if (BOOLEAN_OR_NULL.test(v)) return true;
  return false;
}

const KEY_QUALIFIERS = 'secret|access|private|signing|sign|encryption|encrypt|master|client|hmac|jwt|session|crypto|cipher|license|licence|webhook|shared|api|app'
  + '|auth|account|storage|service|subscription|consumer';
const CREDENTIAL_NAME = new RegExp('^(|.*[^a-z0-9])('
  + '[a-z0-9]*(password|passwd|passphrase|secret|token|apikey|credentials?)'
  + '|pass'
  + '|[a-z0-9]+[^a-z0-9]+pwd'
  + `|[a-z0-9]*(${KEY_QUALIFIERS})[^a-z0-9]*key`
  + '|erlang[^a-z0-9]*cookie'
  + ')([^a-z0-9]+[0-9]+)*[^a-z0-9]*$', 'i');

function referenceIsCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name.length > 128 ? name.slice(-128) : name);
}

const CONFIG_LINE = /^\s*(?:export\s+|-\s+)?("[^"]+"|'[^']+'|[A-Za-z0-9_.\-[\]@/]+)\s*(=|:)(.*)$/;

function referenceScanConfigFile(fileName: string, content: string): Array<{ line: number; what: string }> {
  const out: Array<{ line: number; what: string }> = [];
  const lines = content.split(/\r?\n/);
  const script = /\.(sh|bash)$/.test(fileName) || /^#!.*\b(sh|bash|ash|dash|zsh|ksh)\b/.test(lines[0] ?? '');
  if (script) {
    lines.forEach((line, i) => {
      const what = shellCredentials(line)[0];
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
    const line = raw.trim();
    if (line === '' || /^(#|;|\/\/|--(\s|$)|!)/.test(line) || /^\[[^\]]*\]$/.test(line)) return;
    const m = CONFIG_LINE.exec(raw);
    if (m) {
      const key = unquote(m[1]);
      let value = m[3].trim();
      if (m[2] === ':' && /^\/\//.test(value)) value = '';
      const comment = value.search(/\s[#;]\s/);
      if (comment >= 0) value = value.slice(0, comment);
      value = value.trim().replace(/,$/, '').trim();
      if (value !== '' && !/^[|>][-+]?\d*$/.test(value) && !/^[{[]/.test(value) && referenceIsCredentialName(key) && !referenceIsReference(value)) {
        out.push({ line: i + 1, what: `a literal ${key}` });
        return;
      }
    }
    const what = textCredentials(raw)[0];
    if (what !== undefined) out.push({ line: i + 1, what });
  });
  return out;
}

function jsonDocument(content: string): unknown {
  if (!/^\s*[{[]/.test(content)) return undefined;
  try {
    return JSON.parse(content);
  } catch {
    return undefined;
  }
}

function walkJson(v: unknown, visit: (key: string, value: unknown) => void, key = ''): void {
  if (Array.isArray(v)) v.forEach((x) => walkJson(x, visit, key));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walkJson(x, visit, k);
  else visit(key, v);
}

function lineOf(lines: string[], key: string): number {
  const i = lines.findIndex((l) => l.includes(`"${key}"`));
  return i < 0 ? 1 : i + 1;
}

// textCredentials' scan before its exec loops and keyword hints (verbatim, with the references above)
const R_SIGNATURE_PARAMETER = /[?&;](x-amz-signature|x-amz-security-token|x-amz-credential|x-goog-signature|x-goog-credential|signature|sig|token|access_token|id_token|refresh_token|auth_token|api_key|apikey|api-key|password|passwd|pwd|secret|client_secret|awsaccesskeyid)=([^&#\s'"]*)/gi;

const R_TOKEN_SHAPES: Array<[string, RegExp]> = [
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a GitHub token', /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/],
  ['a GitLab token', /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ['a Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
  ['a Stripe key', /\b[sr]k_live_[A-Za-z0-9]{16,}\b/],
  ['a Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['a JWT', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/],
];

const R_TOKEN_SHAPE_HINT = /PRIVATE KEY-----|AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox[abprs]-|k_live_|AIza|eyJ/;

const R_MIN_TOKEN_SHAPE_LENGTH = 15;

const R_TOKEN = /[^\s'"`<>]+/g;

const R_MAX_URLS_PER_TOKEN = 8;

const R_BARE_USERINFO = /^((?:[^:@]*[=,(])?)([A-Za-z0-9._~%+-]+):(.*)@((?:tcp|unix|udp)\(|[A-Za-z0-9.-]+:(?!\/\/))/;

const R_KEYWORD_ASSIGNMENT = /(?:^|[\s;,?&({"'])((?:[A-Za-z0-9]+[_.-])*(?:password|passwd|pwd|secret|token|apikey|api_key|access_key|secret_key))\s*=\s*("[^"]*"|'[^']*'|[^\s;,&'")]*)/gi;

const R_SQL_PASSWORD = /\b(?:PASSWORD|IDENTIFIED\s+BY)\s+'((?:[^']|'')+)'/gi;

function urlUserinfos(token: string): Array<{ start: number; end: number; userinfo: string }> {
  const out: Array<{ start: number; end: number; userinfo: string }> = [];
  const lastAt = token.lastIndexOf('@');
  let from = 0;
  for (let n = 0; n < R_MAX_URLS_PER_TOKEN && lastAt >= 0; n++) {
    const sep = token.indexOf('://', from);
    if (sep < 0 || sep > lastAt) break;
    from = sep + 3;
    if (!/[a-z][a-z0-9+.-]{0,30}$/i.test(token.slice(Math.max(0, sep - 32), sep))) continue; // no scheme before it
    out.push({ start: sep + 3, end: lastAt, userinfo: token.slice(sep + 3, lastAt) });
  }
  return out;
}

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

function bareUserinfo(token: string): { lead: string; password: string; host: string; length: number } | undefined {
  if (token.indexOf('@') < 0) return undefined;
  const m = R_BARE_USERINFO.exec(token);
  if (!m || /^(sha\d+|blake\d+):?$/i.test(m[4]) || m[3] === '') return undefined; // an image digest (`name:1.0@sha256:...`)
  return { lead: m[1], password: m[3], host: m[4], length: m[0].length };
}

function referenceScanText(text: string): string[] {
  // each pattern below needs one of these characters (or, for the token shapes, this length): most
  // values have none of them, and a ConfigMap can hold 100,000 values
  const at = text.includes('@');
  const equals = text.includes('=');
  const quote = text.includes("'");
  const shapes = text.length >= R_MIN_TOKEN_SHAPE_LENGTH && R_TOKEN_SHAPE_HINT.test(text);
  if (!at && !equals && !quote && !shapes) return [];
  const found = new Set<string>();
  for (const [token] of at ? text.matchAll(R_TOKEN) : []) {
    for (const { userinfo } of urlUserinfos(token)) {
      const password = urlPassword(userinfo);
      if (password !== undefined && !referenceIsReference(password)) found.add('a password in a URL');
    }
    const bare = bareUserinfo(token);
    if (bare && !referenceIsReference(bare.password)) found.add('a password in a connection address');
  }
  for (const m of equals ? text.matchAll(R_SIGNATURE_PARAMETER) : []) {
    if (!referenceIsReference(decodeSafe(m[2]))) found.add(`a credential in the query parameter "${m[1]}"`);
  }
  for (const m of equals ? text.matchAll(R_KEYWORD_ASSIGNMENT) : []) {
    if (referenceIsCredentialName(m[1]) && !referenceIsReference(m[2])) found.add(`a literal ${m[1]} in a connection string`);
  }
  for (const m of quote ? text.matchAll(R_SQL_PASSWORD) : []) {
    if (!referenceIsReference(m[1])) found.add('a literal SQL password');
  }
  if (shapes) for (const [what, re] of R_TOKEN_SHAPES) if (re.test(text)) found.add(what);
  return [...found];
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// texts built from the pieces each pattern looks at (first characters, words, separators), and
// characters that fold to ASCII letters case-insensitively (the Kelvin sign, the long s, dotless i)
const PIECES = [
  '$', '${X}', '$(X)', '{', '{{', '}}', '{{ .password }}', '%', '%env(X)%', '%(x)s', '<', '>', '<password>', '@', '@@', '@@PASS:u@@', '*', '***',
  '/', '/run/secrets/x', '~', 'file:', 'env:', 'secret:', 'vault:', 'ref+awssm:', 'FILE:', 'Ref+x:', '//', '://', 'https://u:p@h/x',
  'true', 'False', 'YES', 'no', 'on', 'Off', 'null', 'NONE', 'nil', 'tru', 'nulls', 'password', 'PASSWORD', 'passwd', 'Pass', 'pwd', 'PWD',
  'secret', 'Token', 'apikey', 'api', 'key', 'KEY', 'credential', 'credentials', 'cookie', 'erlang', 'signing', 'client', 'jwt', 'app', 'db',
  '_', '-', '.', '1', '22', ' ', '\t', '\u00a0', '\ufeff', '"', '\'', '=', ':', ',', '#', ';', '!', '[', ']', '[section]', '--', '-- x', '|', '>-',
  '\n', '\r\n', '\r', '\u2028', '#!/bin/sh', '#!/usr/bin/env bash', 'export ', '- ', 'a', 'x', 'K', '\u212a', '\u017f', '\u0131', 'AKIAABCDEFGHIJKLMNOP',
];
const text = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 })), { maxLength: 8 }).map((ps) => ps.join(''));
const fileName = fc.oneof(fc.constantFrom('init.sh', 'run.bash', 'x.sh.txt', 'app.conf', 'a.json', 'sh', '.sh', 'password'), text);

describe('credential detection with cheap tests before its regular expressions answers as before', () => {
  test('isReference', () => {
    fc.assert(fc.property(text, (t) => {
      expect(isReference(t)).toBe(referenceIsReference(t));
      expect(isReference(`"${t}"`)).toBe(referenceIsReference(`"${t}"`));
    }), { numRuns: 20000 });
  });

  test('isReference on the forms it recognizes and near misses', () => {
    const cases = ['', ' ', '$X', '{{x}}', '{x', '%env(A)%', '%env(A)', '%(a)s', '<x>', '<x', '@@A:b@@', '@@', '***', '*a', '/a/b', '/a b', '~', '~~',
      'file:x', 'FILE://x', 'env:', 'ref+vault://x', 'ref+:x', 'https://u:p@h', 'file://u:p@h', 'true', 'TRUE', 'True ', 'no', 'non', 'none', 'nonee', 'ON',
      '\u212aey', 'x', '"$X"', '\'\'', '"'];
    for (const c of cases) expect([c, isReference(c)]).toEqual([c, referenceIsReference(c)]);
  });

  test('isCredentialName', () => {
    fc.assert(fc.property(text, (t) => {
      expect(isCredentialName(t)).toBe(referenceIsCredentialName(t));
    }), { numRuns: 20000 });
    const long = `${'x'.repeat(200)}_PASSWORD`;
    for (const c of ['DB_PASSWORD', 'PGPASSWORD', 'default_pass', 'DB_PWD', 'PWD', 'JWT_SIGNING_KEY', 'apiKey', 'passwordKey', 'RABBITMQ_ERLANG_COOKIE',
      'SORT_KEY', 'token_ttl', 'A_\u212aEY', 'CLIENT_SECRET_2', long, `PASSWORD_${'x'.repeat(200)}`]) {
      expect([c, isCredentialName(c)]).toEqual([c, referenceIsCredentialName(c)]);
    }
  });

  test('configFileCredentials (scripts, JSON, key = value lines, comments, sections)', () => {
    fc.assert(fc.property(fileName, fc.array(text, { maxLength: 6 }), fc.constantFrom('\n', '\r\n'), (name, lines, eol) => {
      const content = lines.join(eol);
      expect(configFileCredentials(name, content)).toEqual(referenceScanConfigFile(name, content));
    }), { numRuns: 5000 });
    const files: Array<[string, string]> = [
      ['app.conf', 'password = hunter2\n# password = x\n[db]\nuser: app\nDB_PASSWORD: "$X"\nurl: https://u:p@h/x'],
      ['app.properties', 'spring.datasource.password=x'],
      ['init.sh', 'export PGPASSWORD=hunter2\npsql "postgresql://app:s3cret@db:5432/app"'],
      ['x', '#!/bin/sh\nmysql -psecret'],
      ['a.json', ' {"password": "x", "nested": {"token": "$T"}}'],
      ['b.json', '\n[{"secret": "y"}]'],
      ['c', '{ not json password: x'],
      ['d', 'password: x'],
      ['e', 'password: |\n  x'],
      ['long.conf', `password = ${'x'.repeat(300)}\n${'a'.repeat(300)} = b\nurl = https://u:p@h/${'y'.repeat(300)}`],
      ['long.sh', `export PGPASSWORD=${'x'.repeat(300)}\necho ${'z'.repeat(300)}`],
    ];
    // twice: the second time lines are remembered
    for (const [name, content] of files) expect(configFileCredentials(`${name}.again`, content)).toEqual(referenceScanConfigFile(`${name}.again`, content));
    for (const [name, content] of files) expect(configFileCredentials(name, content)).toEqual(referenceScanConfigFile(name, content));
  });

  test('shellCredentials remembers long scripts: the same answer as an unremembered scan, a copy each time', () => {
    // trailing blanks add no shell word; past 16 KiB a script is never remembered
    const unremembered = (script: string) => shellCredentials(`${script}${' '.repeat(16 * 1024)}`);
    const script = fc.array(fc.oneof(fc.constantFrom(...PIECES, 'export PGPASSWORD=hunter2', 'mysql -psecret', '--password x', 'sh -c'), text), { minLength: 8, maxLength: 30 })
      .map((ps) => ps.join(' ').padEnd(130, '#'));
    fc.assert(fc.property(script, (s) => {
      const first = shellCredentials(s);
      first.push('changed by the caller');
      expect(shellCredentials(s)).toEqual(unremembered(s));
    }), { numRuns: 300 });
    const known = `export PGPASSWORD=hunter2; psql "postgresql://app:s3cret@db:5432/app" ${'#'.repeat(128)}`;
    expect(shellCredentials(known)).toEqual(['a literal PGPASSWORD', 'a password in a URL']);
    expect(shellCredentials(known)).toEqual(unremembered(known));
  });

  test('textCredentials (URLs, addresses, query signatures, keyword assignments, SQL passwords, token shapes)', () => {
    const more = fc.constantFrom('https://u:p@h/x', 'u:pw@tcp(db)/x', 'app:s3cret@db:5432', '?sig=abc', '&token=$T', ';password=x', 'Password = \'x\'',
      'IDENTIFIED BY \'y\'', 'PASSWORD \'z\'', 'api_key=k', 'access_key = v', 'db.pwd="q"', 'x-amz-signature=s', 'name@sha256:abc', 'ghp_' + 'a'.repeat(36),
      'eyJabcdefghij.eyJabcdefghij.sig', '-----BEGIN RSA PRIVATE KEY-----', '\n', '=', '@', '\'');
    const texts = fc.array(fc.oneof(text, more), { maxLength: 8 }).map((ps) => ps.join(' '));
    fc.assert(fc.property(texts, (t) => {
      expect(textCredentials(t)).toEqual(referenceScanText(t));
      const long = t.padEnd(140, ' ');
      expect(textCredentials(long)).toEqual(referenceScanText(long));
    }), { numRuns: 10000 });
  });
});
