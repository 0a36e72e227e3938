/**
 * Paging a list by the services' page tokens (AIP-158): the token of the page
 * shown, the tokens of the pages before it (to go back), and the next one.
 */
export class PageCursor {
  /** Tokens of the pages before the shown one ("" for the first). */
  readonly #previous: string[] = [];
  #pageToken = "";
  #nextToken = "";

  /** The token of the page shown ("" for the first). */
  get token(): string {
    return this.#pageToken;
  }

  /** Back to the first page. */
  reset(): void {
    this.#previous.length = 0;
    this.#pageToken = "";
    this.#nextToken = "";
  }

  /** A page arrived; `nextPageToken` is where the next one starts ("" at the end). */
  received(nextPageToken: string): void {
    this.#nextToken = nextPageToken;
  }

  /** Goes one page back (to newer items). */
  back(): void {
    this.#pageToken = this.#previous.pop() ?? "";
  }

  /** Goes one page on (to older items). */
  forward(): void {
    if (this.#nextToken === "") return;
    this.#previous.push(this.#pageToken);
    this.#pageToken = this.#nextToken;
  }

  get hasPrevious(): boolean {
    return this.#previous.length > 0;
  }

  get hasNext(): boolean {
    return this.#nextToken !== "";
  }

  /** "page N", counted from the first. */
  get pageLabel(): string {
    return `page ${this.#previous.length + 1}`;
  }
}
