import { IConstruct } from 'constructs';

/** What one `bind` of a SealedSecret / existing Secret asked for. */
export interface ProvidedBinding {
  /** `SecretSourceKind.SEALED_SECRET` or `EXISTING`. */
  readonly source: string;
  readonly secretName: string;
  readonly keys: readonly string[];
  readonly templates: { readonly [key: string]: string };
  readonly labels: { readonly [key: string]: string };
  readonly descriptions: { readonly [key: string]: string };
}

const BINDINGS = new WeakMap<IConstruct, ProvidedBinding[]>();
/** Whether any binding was recorded in this process (an app with none skips the walk of its constructs). */
let recorded = false;

/** Whether any construct of this process recorded a binding. */
export function anyProvidedBinding(): boolean {
  return recorded;
}

/** The bindings recorded on `scope`. */
export function providedBindings(scope: IConstruct): readonly ProvidedBinding[] {
  return BINDINGS.get(scope) ?? [];
}

/** Records a binding of a Secret the output does not create (secret-source.ts `ReferencedSecretSource.bind`). */
export function recordProvidedBinding(scope: IConstruct, binding: ProvidedBinding): void {
  recorded = true;
  let list = BINDINGS.get(scope);
  if (!list) BINDINGS.set(scope, list = []);
  list.push(binding);
}
