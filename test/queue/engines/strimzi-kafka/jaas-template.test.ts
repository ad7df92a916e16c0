/**
 * The `sasl.jaas.config` key the ExternalSecret of a Kafka SCRAM user renders: whatever the password,
 * Kafka must read back exactly that password and nothing else.
 *
 * Two things are emulated, not run: External Secrets' template execution (Go text/template with sprig,
 * runtime/template/v2/template.go `execute`; here only the forms the engine writes: `.key` and sprig's
 * `replace old new src` = strings.Replace(src, old, new, -1), with raw and interpreted string constants),
 * and Kafka's JaasConfig parser (clients/src/main/java/org/apache/kafka/common/security/JaasConfig.java,
 * a java.io.StreamTokenizer with `//` and `/* *\/` comments and `-`, `_`, `$` as word characters).
 * Where a JDK is installed, the parse is checked against the real java.io.StreamTokenizer configured
 * as JaasConfig configures it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { Environment, EnvironmentChart, GitOpsApp, SecretBackend, StorageProfile, Tier } from '../../../../src';
import { MessageQueue, QueueAccess, QueueEngine } from '../../../../src/queue';
import { tmpdir } from '../../../util/tmp';

function jaasTemplate(): string {
  const app = new GitOpsApp({ outdir: tmpdir() });
  const environment = new Environment({
    name: 'prod',
    tier: Tier.PRODUCTION,
    namespace: 'analytics',
    storageProfile: StorageProfile.ondat({ name: 'ondat-secure', replicas: 2 }),
    secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'analytics' }),
  });
  const chart = new EnvironmentChart(app, 'analytics', { environment });
  new MessageQueue(chart, 'Events', {
    engine: QueueEngine.strimziKafka({ version: '4.3.1' }),
    name: 'events',
    topics: [{ name: 'clicks' }],
    users: [{ name: 'collector', permissions: [{ name: 'clicks', access: QueueAccess.PRODUCE }] }],
  });
  const secret = app.render().objects.map((o) => o.manifest).find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'events-collector-credentials');
  return secret.spec.target.template.data['sasl.jaas.config'];
}

type Token = { readonly word: string } | { readonly str: string } | { readonly pipe: true };

/** Go text/template execution over string data (missingkey=error), for `{{ .key | replace "a" `b` … }}` actions only. */
function executeTemplate(template: string, data: Record<string, string>): string {
  let out = '';
  let i = 0;
  for (;;) {
    const open = template.indexOf('{{', i);
    if (open < 0) return out + template.slice(i);
    out += template.slice(i, open);
    const tokens: Token[] = [];
    let j = open + 2;
    for (;;) {
      while (template[j] === ' ') j++;
      if (template.startsWith('}}', j)) {
        j += 2;
        break;
      }
      const c = template[j];
      if (c === undefined) throw new Error('unclosed action');
      if (c === '`') { // raw string: no escapes
        const end = template.indexOf('`', j + 1);
        if (end < 0) throw new Error('unterminated raw string');
        tokens.push({ str: template.slice(j + 1, end) });
        j = end + 1;
      } else if (c === '"') { // interpreted string (strconv.Unquote): the escapes used here
        const escapes: Record<string, string> = { 'n': '\n', 'r': '\r', 't': '\t', '\\': '\\', '"': '"' };
        let v = '';
        let k = j + 1;
        while (template[k] !== '"') {
          if (template[k] === undefined || template[k] === '\n') throw new Error('unterminated string');
          if (template[k] === '\\') {
            if (!(template[k + 1] in escapes)) throw new Error(`escape \\${template[k + 1]} not emulated`);
            v += escapes[template[k + 1]];
            k += 2;
          } else {
            v += template[k++];
          }
        }
        tokens.push({ str: v });
        j = k + 1;
      } else if (c === '|') {
        tokens.push({ pipe: true });
        j++;
      } else {
        const m = /^\.?[A-Za-z_][A-Za-z0-9_]*/.exec(template.slice(j));
        if (!m) throw new Error(`unexpected ${c} in action`);
        tokens.push({ word: m[0] });
        j += m[0].length;
      }
    }
    const commands: Token[][] = [[]];
    for (const t of tokens) if ('pipe' in t) commands.push([]); else commands[commands.length - 1].push(t);
    const [first, ...rest] = commands;
    if (first.length !== 1 || !('word' in first[0]) || !first[0].word.startsWith('.')) throw new Error('an action starts with .key');
    const key = first[0].word.slice(1);
    if (!(key in data)) throw new Error(`map has no entry for key "${key}"`);
    let value = data[key];
    for (const [fn, ...args] of rest) {
      if (!('word' in fn) || fn.word !== 'replace' || args.length !== 2 || !args.every((a) => 'str' in a)) {
        throw new Error('only replace "old" "new" is emulated');
      }
      const [from, to] = args.map((a) => (a as { str: string }).str);
      value = value.split(from).join(to);
    }
    out += value;
    i = j;
  }
}

interface JaasEntry { readonly module: string; readonly flag: string; readonly options: Record<string, string> }

/** Kafka's JaasConfig over java.io.StreamTokenizer (its default syntax plus JaasConfig's settings); numbers are not emulated. */
function parseJaas(config: string): JaasEntry[] {
  let p = 0;
  // a-z, A-Z, 160-255 by default; '-', '_', '$' added by JaasConfig
  const isAlpha = (ch: number) => (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 160 && ch <= 255)
    || ch === 0x2d || ch === 0x5f || ch === 0x24;
  const isDigit = (ch: number) => (ch >= 0x30 && ch <= 0x39) || ch === 0x2e || ch === 0x2d;
  let ttype = 'eof' as number | 'word' | 'eof';
  let sval: string | undefined;
  const next = (): number | 'word' | 'eof' => {
    sval = undefined;
    for (;;) {
      if (p >= config.length) return (ttype = 'eof');
      const ch = config.charCodeAt(p);
      if (ch <= 0x20) { p++; continue; }
      if (config.startsWith('//', p)) { while (p < config.length && config[p] !== '\n' && config[p] !== '\r') p++; continue; }
      if (config.startsWith('/*', p)) {
        const end = config.indexOf('*/', p + 2);
        if (end < 0) return (ttype = 'eof');
        p = end + 2;
        continue;
      }
      if (ch === 0x2f) { while (p < config.length && config[p] !== '\n' && config[p] !== '\r') p++; continue; } // commentChar('/')
      if (isDigit(ch)) throw new Error(`a number token at ${p}: not emulated`);
      if (isAlpha(ch)) {
        const start = p;
        while (p < config.length && (isAlpha(config.charCodeAt(p)) || isDigit(config.charCodeAt(p)))) p++;
        sval = config.slice(start, p);
        return (ttype = 'word');
      }
      if (ch === 0x22 || ch === 0x27) { // quoteChar: the value ends at the quote, a line break or the end
        p++;
        let v = '';
        while (p < config.length && config.charCodeAt(p) !== ch && config[p] !== '\n' && config[p] !== '\r') {
          if (config[p] === '\\') {
            p++;
            const e = config[p];
            if (e !== undefined && e >= '0' && e <= '7') {
              let n = Number(e);
              p++;
              const digits = e <= '3' ? 2 : 1;
              for (let d = 0; d < digits && config[p] >= '0' && config[p] <= '7'; d++) n = n * 8 + Number(config[p++]);
              v += String.fromCharCode(n);
              continue;
            }
            const map: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\x0b' };
            v += e === undefined ? String.fromCharCode(0xffff) : (map[e] ?? e);
            p++;
          } else {
            v += config[p++];
          }
        }
        if (p < config.length && config.charCodeAt(p) === ch) p++;
        sval = v;
        return (ttype = ch);
      }
      p++;
      return (ttype = ch);
    }
  };
  const entries: JaasEntry[] = [];
  while (next() !== 'eof') {
    const module = sval!;
    if (next() === 'eof') throw new Error('Login module control flag not specified in JAAS config');
    const flag = sval!;
    if (!['REQUIRED', 'REQUISITE', 'SUFFICIENT', 'OPTIONAL'].includes(flag?.toUpperCase())) throw new Error(`Invalid login module control flag '${flag}'`);
    const options: Record<string, string> = {};
    while (next() !== 'eof' && ttype !== 0x3b) {
      const key = sval!;
      if (next() !== 0x3d || next() === 'eof' || sval === undefined) throw new Error(`Value not specified for key '${key}' in JAAS config`);
      options[key] = sval;
    }
    if (ttype !== 0x3b) throw new Error('JAAS config entry not terminated by semi-colon');
    entries.push({ module, flag, options });
  }
  return entries;
}

/** The same parse by the JDK's own StreamTokenizer, set up as JaasConfig does; undefined without a JDK. */
const JAVA = (() => {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return probe.status === 0 ? 'java' : undefined;
})();
function parseJaasWithJava(configs: string[]): Array<JaasEntry[] | string> {
  const dir = tmpdir();
  const source = path.join(dir, 'Jaas.java');
  fs.writeFileSync(source, `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
public class Jaas {
  static String hex(String s) { if (s == null) return "N"; StringBuilder b = new StringBuilder(); for (char c : s.toCharArray()) b.append(String.format("%04x", (int) c)); return b.toString(); }
  static String unhex(String s) { StringBuilder b = new StringBuilder(); for (int i = 0; i < s.length(); i += 4) b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); return b.toString(); }
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      StringBuilder out = new StringBuilder();
      try {
        // JaasConfig's constructor and parseAppConfigurationEntry, printing instead of building entries
        StreamTokenizer tokenizer = new StreamTokenizer(new StringReader(unhex(line)));
        tokenizer.slashSlashComments(true);
        tokenizer.slashStarComments(true);
        tokenizer.wordChars('-', '-');
        tokenizer.wordChars('_', '_');
        tokenizer.wordChars('$', '$');
        while (tokenizer.nextToken() != StreamTokenizer.TT_EOF) {
          String loginModule = tokenizer.sval;
          if (tokenizer.nextToken() == StreamTokenizer.TT_EOF) throw new IllegalArgumentException("no flag");
          String flag = tokenizer.sval;
          out.append("E ").append(hex(loginModule)).append(' ').append(hex(flag));
          while (tokenizer.nextToken() != StreamTokenizer.TT_EOF && tokenizer.ttype != ';') {
            String key = tokenizer.sval;
            if (tokenizer.nextToken() != '=' || tokenizer.nextToken() == StreamTokenizer.TT_EOF || tokenizer.sval == null)
              throw new IllegalArgumentException("Value not specified for key '" + key + "' in JAAS config");
            out.append(' ').append(hex(key)).append('=').append(hex(tokenizer.sval));
          }
          if (tokenizer.ttype != ';') throw new IllegalArgumentException("JAAS config entry not terminated by semi-colon");
          out.append(' ');
        }
        System.out.println(out.toString().trim());
      } catch (IllegalArgumentException e) {
        System.out.println("ERROR " + e.getMessage().replace('\\n', ' '));
      }
    }
  }
}
`);
  const hex = (s: string) => [...Array(s.length).keys()].map((k) => s.charCodeAt(k).toString(16).padStart(4, '0')).join('');
  const unhex = (h: string) => (h === 'N' ? undefined : (h.match(/.{4}/g) ?? []).map((c) => String.fromCharCode(parseInt(c, 16))).join(''));
  const run = spawnSync(JAVA!, [source], { input: configs.map(hex).join('\n') + '\n', encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`java failed: ${run.stderr}`);
  return run.stdout.trimEnd().split('\n').map((line) => {
    if (line.startsWith('ERROR ')) return line;
    return line.split(/ (?=E )/).filter((e) => e !== '').map((e) => {
      const [, module, flag, ...options] = e.trim().split(' ');
      return { module: unhex(module)!, flag: unhex(flag)!, options: Object.fromEntries(options.map((o) => o.split('=').map(unhex))) };
    });
  });
}

const HOSTILE = [
  'plain',
  'a"b',
  'back\\slash',
  'ends with a backslash\\',
  'x" debug="true',
  'x"; org.example.Evil required; y="',
  '\\"; injected required;',
  'line\nbreak',
  'carriage\rreturn',
  '\\n is not a line break',
  '\\101 is not an octal escape',
  '\'single\' quotes',
  '/* not a comment */ // nor this',
  'ünïcödé ✓ 🔑',
  '',
];
const expected = (password: string): JaasEntry[] => [{
  module: 'org.apache.kafka.common.security.scram.ScramLoginModule',
  flag: 'required',
  options: { username: 'events-collector', password },
}];

describe('the Kafka user\'s sasl.jaas.config', () => {
  const template = jaasTemplate();

  test('the template escapes the password for a JAAS quoted value (backslash first, then quote, LF, CR)', () => {
    expect(template).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required username="events-collector" '
      + 'password="{{ .password | replace `\\` `\\\\` | replace `"` `\\"` | replace "\\n" `\\n` | replace "\\r" `\\r` }}";');
  });

  test.each(HOSTILE)('password %j reads back as itself, the only option beside the username', (password) => {
    expect(parseJaas(executeTemplate(template, { password }))).toEqual(expected(password));
  });

  test('any password reads back as itself', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (password) => {
      expect(parseJaas(executeTemplate(template, { password }))).toEqual(expected(password));
    }), { numRuns: 500 });
  });

  (JAVA ? test : test.skip)('the JDK\'s StreamTokenizer, set up as Kafka\'s JaasConfig, reads the same (skipped without java)', () => {
    const rendered = HOSTILE.map((password) => executeTemplate(template, { password }));
    // the emulation agrees with the JDK on the unescaped (injectable) form too
    const unescaped = HOSTILE.map((password) => template.replace(/\{\{.*\}\}/, () => password));
    const java = parseJaasWithJava([...rendered, ...unescaped]);
    expect(java.slice(0, HOSTILE.length)).toEqual(HOSTILE.map(expected));
    unescaped.forEach((config, k) => {
      let emulated: JaasEntry[] | string;
      try {
        emulated = parseJaas(config);
      } catch (e) {
        emulated = 'ERROR';
      }
      const real = java[HOSTILE.length + k];
      if (typeof real === 'string' || emulated === 'ERROR') expect([typeof real === 'string' ? 'ERROR' : real, emulated]).toEqual(['ERROR', 'ERROR']);
      else expect(emulated).toEqual(real);
    });
  });
});
