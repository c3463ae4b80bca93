import { html, nothing } from 'lit';
import { property } from 'lit/decorators/property.js';
import { repeat } from 'lit/directives/repeat.js';
import {
  ACCOUNT_PATTERN,
  portfolioTopic,
  type PortfolioSnapshotData,
  type PortfolioTotals,
  type Position,
} from '../../protocol/index.js';
import type { TopicEvent } from '../../stream/types.js';
import { MarketElement, type TopicChoice } from '../base/market-element.js';
import { defineElement } from '../base/define.js';
import { themeStyles } from '../base/theme.styles.js';
import { pnlStyles } from './pnl-summary.styles.js';

/** Detail of `lmw-pnl`. */
export interface PnlEventDetail {
  totals: PortfolioTotals;
}

export type PositionColumn = keyof Position;
type NumericColumn = Exclude<PositionColumn, 'symbol'>;

const COLUMNS: ReadonlyArray<{ key: PositionColumn; label: string }> = [
  { key: 'symbol', label: 'Symbol' },
  { key: 'qty', label: 'Qty' },
  { key: 'avgPrice', label: 'Avg price' },
  { key: 'lastPrice', label: 'Last' },
  { key: 'marketValue', label: 'Market value' },
  { key: 'unrealizedPnl', label: 'Unrealized' },
  { key: 'realizedPnl', label: 'Realized' },
];
const NUMERIC: readonly NumericColumn[] = ['qty', 'avgPrice', 'lastPrice', 'marketValue', 'unrealizedPnl', 'realizedPnl'];

/** Per changed cell: the direction of the change and a counter that restarts the flash. */
type Flash = { up: boolean; n: number };

/**
 * Profit and loss of one account: totals and a sortable positions table that
 * flashes the cells that change.
 *
 * @tagname pnl-summary
 * @summary Live portfolio P&L.
 *
 * @attr state - Reflects the read-only `state`: `loading`, `live`, `stale` or `error`.
 *
 * @fires lmw-pnl - The totals changed (from server data, never from a property set); detail `{totals}`.
 * @fires lmw-state-change - `state` changed; detail `{state, previous}`.
 * @fires lmw-error - Entered the error state (bad account, unknown account, server error); detail `{code, message}`.
 *
 * @csspart header - The title row.
 * @csspart totals - The totals list.
 * @csspart table - The positions table.
 * @csspart notice - The stale-data marker.
 * @csspart error - The error message box.
 *
 * @cssprop --lmw-up - Colour of gains.
 * @cssprop --lmw-down - Colour of losses.
 * @cssprop --lmw-text - Text colour.
 * @cssprop --lmw-muted - Secondary text colour.
 * @cssprop --lmw-bg - Background colour.
 * @cssprop --lmw-surface - Background of the totals tiles.
 * @cssprop --lmw-border - Border colour.
 * @cssprop --lmw-grid - Row separator colour.
 * @cssprop --lmw-accent - Focus ring colour.
 * @cssprop --lmw-warn - Colour of the stale-data marker.
 * @cssprop --lmw-font - Font family.
 * @cssprop --lmw-radius - Corner radius.
 * @cssprop --lmw-table-max-height - Height after which the table scrolls (default: none).
 */
export class PnlSummary extends MarketElement {
  static override styles = [themeStyles, pnlStyles];

  /** Account to show (letters, digits and `._-`). The reference server simulates `demo`. */
  @property() account = 'demo';

  /** ISO 4217 code used to format money, overriding the account's own currency. */
  @property() currency?: string;

  /** Column the table is sorted by. */
  @property({ attribute: 'sort-by' }) sortBy: PositionColumn = 'symbol';

  /** Sort direction: `asc` or `desc`. */
  @property({ attribute: 'sort-direction' }) sortDirection: 'asc' | 'desc' = 'asc';

  private _data?: { account: string; currency: string };
  private _positions = new Map<string, Position>();
  private _totals?: PortfolioTotals;
  private _flash = new Map<string, Partial<Record<NumericColumn, Flash>>>();

  /** The account totals (`marketValue`, `unrealizedPnl`, `realizedPnl`, `totalPnl`), or null before data. */
  get summary(): PortfolioTotals | null {
    return this._totals ? { ...this._totals } : null;
  }

  /** The position rows as shown (sorted), copies. */
  get positions(): Position[] {
    return this.sortedPositions().map((row) => ({ ...row }));
  }

  protected override get hasData(): boolean {
    return this._totals !== undefined;
  }

  protected override topicChoice(): TopicChoice {
    const account = this.account.trim();
    if (!account) return { error: { code: 'bad_attribute', message: 'Set the account attribute, e.g. account="demo".' } };
    if (!ACCOUNT_PATTERN.test(account)) return { error: { code: 'bad_attribute', message: `Invalid account "${account}".` } };
    return { topic: portfolioTopic(account) };
  }

  protected override clearData(): void {
    this._data = undefined;
    this._positions = new Map();
    this._totals = undefined;
    this._flash = new Map();
  }

  protected override onTopicEvent(event: TopicEvent): void {
    const data = event.state.data as PortfolioSnapshotData;
    const fresh = event.kind !== 'update' || !this._totals;
    const next = new Map<string, Position>();
    for (const row of data.positions) {
      next.set(row.symbol, { ...row });
      const before = this._positions.get(row.symbol);
      if (fresh || !before) continue;
      for (const key of NUMERIC) {
        if (row[key] === before[key]) continue;
        const flashes = this._flash.get(row.symbol) ?? {};
        flashes[key] = { up: row[key] > before[key], n: (flashes[key]?.n ?? 0) + 1 };
        this._flash.set(row.symbol, flashes);
      }
    }
    for (const symbol of this._flash.keys()) if (!next.has(symbol)) this._flash.delete(symbol);
    this._positions = next;
    this._data = { account: data.account, currency: data.currency };
    const previous = this._totals;
    const totals = { ...data.totals };
    this._totals = totals;
    if (!previous || !sameTotals(previous, totals)) this.emit<PnlEventDetail>('lmw-pnl', { totals: { ...totals } });
  }

  private sortedPositions(): Position[] {
    const rows = [...this._positions.values()];
    const key = COLUMNS.some((c) => c.key === this.sortBy) ? this.sortBy : 'symbol';
    const sign = this.sortDirection === 'desc' ? -1 : 1;
    return rows.sort((a, b) => {
      const x = a[key];
      const y = b[key];
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return order * sign || a.symbol.localeCompare(b.symbol);
    });
  }

  private sortOn(key: PositionColumn): void {
    if (this.sortBy === key) this.sortDirection = this.sortDirection === 'asc' ? 'desc' : 'asc';
    else {
      this.sortBy = key;
      this.sortDirection = key === 'symbol' ? 'asc' : 'desc';
    }
  }

  // ---- template ------------------------------------------------------------

  protected override renderContent() {
    const state = this.state;
    const account = this.account.trim();
    return html`
      <div class="header" part="header">
        <span class="title">${account || '—'}</span>
        ${this._data ? html`<span class="muted">${this.moneyCurrency()}</span>` : nothing}
        <span class="spacer"></span>
        ${this.renderStaleMarker()}
      </div>
      ${state === 'error'
        ? this.renderError('Portfolio unavailable')
        : state === 'loading'
          ? html`<div role="status">
              <span class="visually-hidden">Loading portfolio ${account}…</span>
              ${[0, 1, 2, 3].map(() => html`<div class="skeleton skeleton-row" aria-hidden="true"></div>`)}
            </div>`
          : this.renderData()}
    `;
  }

  private moneyCurrency(): string {
    return this.currency?.trim() || this._data?.currency || 'USD';
  }

  private renderData() {
    const totals = this._totals!;
    const currency = this.moneyCurrency();
    const f = this.format;
    const money = (value: number) => f.money(value, currency);
    const signed = (value: number) => (value > 0 ? 'up' : value < 0 ? 'down' : '');
    const tile = (label: string, value: number, colour: boolean) =>
      html`<div>
        <dt>${label}</dt>
        <dd class=${colour ? signed(value) : ''}>${money(value)}</dd>
      </div>`;
    const rows = this.sortedPositions();
    return html`
      <dl class="totals" part="totals">
        ${tile('Market value', totals.marketValue, false)} ${tile('Unrealized', totals.unrealizedPnl, true)}
        ${tile('Realized', totals.realizedPnl, true)} ${tile('Total P&L', totals.totalPnl, true)}
      </dl>
      <div class="table-wrap">
        <table part="table">
          <caption class="visually-hidden">
            Positions of account ${this.account.trim()}
          </caption>
          <thead>
            <tr>
              ${COLUMNS.map(
                ({ key, label }) =>
                  html`<th
                    scope="col"
                    aria-sort=${this.sortBy === key ? (this.sortDirection === 'asc' ? 'ascending' : 'descending') : nothing}
                  >
                    <button type="button" @click=${() => this.sortOn(key)}>
                      ${label}${this.sortBy === key
                        ? html`<span aria-hidden="true"> ${this.sortDirection === 'asc' ? '↑' : '↓'}</span>`
                        : nothing}
                    </button>
                  </th>`,
              )}
            </tr>
          </thead>
          <tbody>
            ${rows.length === 0
              ? html`<tr><td class="empty" colspan=${COLUMNS.length}>No open positions</td></tr>`
              : repeat(
                  rows,
                  (row) => row.symbol,
                  (row) => {
                    const flashes = this._flash.get(row.symbol);
                    const cell = (key: NumericColumn, text: string, colour = '') => {
                      const flash = flashes?.[key];
                      const flashClass = flash ? ` flash-${flash.up ? 'up' : 'down'}-${flash.n % 2}` : '';
                      return html`<td class=${`num ${colour}${flashClass}`}>${text}</td>`;
                    };
                    return html`<tr>
                      <td class="symbol">${row.symbol}</td>
                      ${cell('qty', f.number(row.qty, 4))} ${cell('avgPrice', f.price(row.avgPrice))}
                      ${cell('lastPrice', f.price(row.lastPrice))} ${cell('marketValue', money(row.marketValue))}
                      ${cell('unrealizedPnl', money(row.unrealizedPnl), signed(row.unrealizedPnl))}
                      ${cell('realizedPnl', money(row.realizedPnl), signed(row.realizedPnl))}
                    </tr>`;
                  },
                )}
          </tbody>
        </table>
      </div>
    `;
  }
}

function sameTotals(a: PortfolioTotals, b: PortfolioTotals): boolean {
  return (
    a.marketValue === b.marketValue &&
    a.unrealizedPnl === b.unrealizedPnl &&
    a.realizedPnl === b.realizedPnl &&
    a.totalPnl === b.totalPnl
  );
}

defineElement('pnl-summary', PnlSummary);

declare global {
  interface HTMLElementTagNameMap {
    'pnl-summary': PnlSummary;
  }
}
