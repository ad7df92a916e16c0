import { existsSync, readFileSync } from 'fs';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** Where `@microsoft/jest-sarif` keeps its copy of the SARIF 2.1.0 schema (devDependency). */
export const PACKAGED_SCHEMA = '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';

/**
 * The SARIF 2.1.0 JSON schema file: `$SARIF_SCHEMA_PATH` if set (it must exist), else the copy shipped by
 * `@microsoft/jest-sarif`, else undefined (the schema tests are skipped).
 */
export function findSarifSchema(): string | undefined {
  const fromEnv = process.env.SARIF_SCHEMA_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`SARIF_SCHEMA_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  try {
    return require.resolve(PACKAGED_SCHEMA);
  } catch {
    return undefined;
  }
}

/**
 * Compiles the schema with ajv 8 (draft-07 dialect). The OASIS schema and its release candidates declare
 * draft-04, which ajv 8 does not ship; the SARIF schema uses no keyword whose meaning changed between
 * draft-04 and draft-07 (no boolean `exclusiveMinimum`/`exclusiveMaximum`), so dropping `$schema` and
 * renaming the draft-04 root `id` to `$id` gives the same validation.
 *
 * `unicodeRegExp: false`: the rtm.5 copy's `language` pattern (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`, a
 * stray `]` fixed in the OASIS errata01 file) is valid only without the `u` flag that ajv 8 uses by default.
 */
export function compileSarifSchema(file: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(file, 'utf8'));
  const text = JSON.stringify(schema);
  if (/"exclusive(Minimum|Maximum)":\s*(true|false)/.test(text)) {
    throw new Error(`${file} uses draft-04 boolean exclusiveMinimum/Maximum: this conversion would change its meaning`);
  }
  delete schema.$schema;
  if (typeof schema.id === 'string') {
    schema.$id = schema.$id ?? schema.id;
    delete schema.id;
  }
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}
