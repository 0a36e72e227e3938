/** A view of the page: its element and what to stop when the page leaves it. */
export interface View {
  readonly element: HTMLElement;
  dispose(): void;
}
