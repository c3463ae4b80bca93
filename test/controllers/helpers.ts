/** A Lit host for the controller tests: a topic and a connection controller on `url` and `topic`. */
import { LitElement, html } from 'lit';
import type { CandleSnapshotData } from '../../src/protocol/index.js';
import { ConnectionController, TopicController } from '../../src/controllers/index.js';

export const TOPIC = 'candles:SOL-USD:1s';

export class TopicHost extends LitElement {
  static override properties = { url: {}, topic: {} };
  declare url: string | undefined;
  declare topic: string | undefined;
  updates = 0;
  events: string[] = [];
  errors: string[] = [];
  readonly data = new TopicController<CandleSnapshotData>(this, {
    onEvent: (e) => this.events.push(e.kind),
    onError: (e) => this.errors.push(e.code),
  });
  readonly connection = new ConnectionController(this);
  override willUpdate(): void {
    this.data.setTarget(this.url, this.topic);
    this.connection.setUrl(this.url);
  }
  override updated(): void {
    this.updates++;
  }
  override render() {
    return html`<span>${this.data.state?.seq ?? 'loading'}</span>`;
  }
}
customElements.define('lmw-test-topic-host', TopicHost);

/** A bare Lit host, for controllers added by the test itself. */
export class BareHost extends LitElement {
  updates = 0;
  override updated(): void {
    this.updates++;
  }
}
customElements.define('lmw-test-bare-host', BareHost);
