/**
 * Registers a custom element once. A second registration of the same tag (for
 * example two copies of the kit on one page) warns and keeps the first one
 * instead of throwing `NotSupportedError` into the page.
 */
export function defineElement(tag: string, ctor: CustomElementConstructor): void {
  const registry = globalThis.customElements;
  if (!registry) return; // not in a browser (SSR, tooling): nothing to register
  const existing = registry.get(tag);
  if (existing) {
    if (existing !== ctor) console.warn(`live-market-widgets: <${tag}> is already defined; keeping the first definition.`);
    return;
  }
  registry.define(tag, ctor);
}
