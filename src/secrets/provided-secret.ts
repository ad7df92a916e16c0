import { SecretSourceKind } from './secret-source';

/**
 * One key of a Secret the output reads but does not create.
 */
export interface ProvidedSecretKey {
  /** The key (`data.<key>` of the Secret). */
  readonly key: string;

  /**
   * What its value must be: in the words of the construct reading it (e.g. `the password of user "shop"`),
   * ``exactly `shop` `` for a fixed value, or a derived value with `<password, URL-encoded>` standing for the
   * password percent-encoded (see `template`).
   */
  readonly holds: string;

  /**
   * The Go template the value is derived by from the Secret's other keys (what an External Secrets `ExternalSecret`
   * renders, and what a SealedSecret's `spec.template.data` can hold to derive it the same way).
   *
   * @default - none: a value of its own
   */
  readonly template?: string;
}

/**
 * A Secret the rendered objects of an environment read that the output does not create: delivered by a
 * SealedSecret the team seals (`SecretSource.sealedSecret`, `SecretBackend.sealedSecrets`) or created out of band
 * (`SecretSource.existing`, `SecretBackend.existingSecrets`). Derived from the bindings of the constructs that
 * render its readers, so it lists exactly the keys they read.
 */
export interface ProvidedSecret {
  /** The environment. */
  readonly environment: string;
  /** The Secret's namespace (the environment's). */
  readonly namespace: string;
  /** The Secret's name. */
  readonly name: string;
  /** How it is delivered: `SealedSecret` or `Existing`. */
  readonly source: SecretSourceKind;
  /** Every key the output reads from it (or hands to applications, e.g. `uri`), sorted by key. */
  readonly keys: ProvidedSecretKey[];
  /**
   * Labels the Secret must carry (e.g. `cnpg.io/reload: "true"`: the operator applies a changed password only when
   * the Secret has it).
   */
  readonly labels: { [key: string]: string };
  /** The rendered objects reading it (`Kind/name`, sorted); empty when only applications read it. */
  readonly readBy: string[];
  /** Paths of the constructs that bound it, sorted. */
  readonly boundBy: string[];
}
