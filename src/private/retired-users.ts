import { IConstruct } from 'constructs';
import { invalid } from './names';

/**
 * The users a construct retires (`ReplicatedDatabase.retireUser`, `MessageQueue.retireUser`): kept
 * apart from its declared users, a name never both. The construct checks the name's own rules first.
 */
export class RetiredUsers {
  private readonly names = new Set<string>();

  public constructor(private readonly scope: IConstruct, private readonly declared: ReadonlyMap<string, unknown>) {}

  /** Retires the users of the `retiredUsers` prop: `retire` checks and adds each name. */
  public fromProps(value: unknown, retire: (name: string) => void): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) throw invalid(this.scope, 'INVALID_VALUE', 'retiredUsers', value, 'a list of user names');
    for (const name of value) retire(name);
  }

  /** Adds a retired user: not a declared user, not retired already. */
  public add(name: string): void {
    if (this.declared.has(name)) {
      throw invalid(this.scope, 'DUPLICATE', 'retired user', name,
        `a user that is not declared (declared: ${[...this.declared.keys()].join(', ')}); remove its addUser() to retire it`);
    }
    if (this.names.has(name)) throw invalid(this.scope, 'DUPLICATE', 'retired user', name, 'a user not retired already');
    this.names.add(name);
  }

  /** Refuses to declare a user that is retired. */
  public requireNotRetired(name: string): void {
    if (this.names.has(name)) {
      throw invalid(this.scope, 'DUPLICATE', 'user', name, `a user name that is not retired (retireUser('${name}') keeps it from logging in; remove that to declare it again)`);
    }
  }

  /** The retired users, sorted by name. */
  public sorted(): string[] {
    return [...this.names].sort();
  }
}
