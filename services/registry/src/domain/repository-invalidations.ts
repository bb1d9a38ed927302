// Tells this process's /v2 caches that a repository was deleted or renamed outside /v2 (by the
// lifecycle consumer), so no cached tag, manifest or blob link of it is served afterwards.
export type RepositoryForgetter = (repository: string) => void;

export class RepositoryInvalidations {
  readonly #forgetters = new Set<RepositoryForgetter>();

  /** Registers a cache's forget function; the returned function unregisters it (plugin close). */
  subscribe(forget: RepositoryForgetter): () => void {
    this.#forgetters.add(forget);
    return () => void this.#forgetters.delete(forget);
  }

  /** Drops everything cached for the repository (exactly that name, not names nested below it). */
  forget(repository: string): void {
    for (const forget of this.#forgetters) forget(repository);
  }
}
