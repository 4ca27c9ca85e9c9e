import { closestName, didYouMean } from '../did-you-mean.js';

/** How many names one checker remembers its verdict on (names built at runtime are not kept). */
const REMEMBERED = 1_000;

/**
 * Checks model names against the entities of the app's ORM integrations: a near miss of one
 * (`Artcile`) is a typo no save would ever clear — an error with a did-you-mean; a name no entity
 * comes close to (`Settings`, invalidated by hand) is said once, as a warning.
 */
export class ModelNames {
  /** Names settled: entities, names accepted, names said once. */
  private readonly verdicts = new Set<string>();
  private readonly said = new Set<string>();

  constructor(
    /** The entity names, or `undefined` when no ORM integration announced any. */
    private readonly entities: () => ReadonlySet<string> | undefined,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * Checks `name`, used in `where` (`"@CacheKeyFrom on BooksController.show"`).
   * @throws TypeError when it is not an entity's name but nearly one.
   */
  check(name: string, where: string): void {
    // Past that many names (built at runtime), new ones are not checked: checks stay cheap.
    if (this.verdicts.has(name) || this.verdicts.size >= REMEMBERED) return;
    const entities = this.entities();
    if (!entities) return;
    if (!entities.has(name)) {
      const hint = didYouMean(name, entities);
      if (hint) {
        throw new TypeError(
          `Unknown model '${name}' in ${where}: no entity of the app's ORM is named so, and no save would ever clear what is built from it.${hint}`,
        );
      }
      this.warnOnce(
        `Model '${name}' (${where}) is no entity of the app's ORM: what is built from it is cleared only by invalidate('${name}') or events that name it.`,
      );
    }
    this.accept(name);
  }

  /**
   * Takes `name` as a model of the app's own, not a typo, however close to an entity it is
   * (`Books` beside `Book`): the app both builds entries from it and invalidates it itself.
   */
  accept(name: string): void {
    if (this.verdicts.size < REMEMBERED) this.verdicts.add(name);
  }

  /** Says `message` as a warning, once. */
  warnOnce(message: string): void {
    if (this.said.has(message)) return;
    this.said.add(message);
    this.warn(message);
  }
}

/**
 * Names declared where no ORM integration tells which exist: two that nearly equal each other
 * (`Artcile` beside `Article`) are most likely one model and a typo of it.
 * @returns a warning per such pair.
 */
export function nearlyEqualNames(declared: ReadonlyMap<string, string>): string[] {
  const warnings: string[] = [];
  const names = [...declared.keys()];
  names.forEach((name, i) => {
    for (const other of names.slice(i + 1)) {
      if (closestName(name, [other]) === undefined) continue;
      warnings.push(
        `Models '${name}' (${declared.get(name)}) and '${other}' (${declared.get(other)}) nearly equal each other: if one is a typo, what is built from it is never cleared by saves of the other.`,
      );
    }
  });
  return warnings;
}
