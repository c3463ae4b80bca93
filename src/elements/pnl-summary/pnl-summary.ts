import { html, nothing, type PropertyValues } from 'lit';
import { property } from 'lit/decorators/property.js';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import {
  ACCOUNT_PATTERN,
  portfolioTopic,
  type PortfolioSnapshotData,
  type PortfolioTotals,
  type Position,
} from '../../protocol/index.js';
import type { TopicEvent } from '../../stream/index.js';
import { MarketElement, type TopicChoice } from '../base/market-element.js';
import { defineElement } from '../base/define.js';
import { choosePrecision, getPriceFormat, precisionConverter, precisionProblem } from '../base/price-format.js';
import { themeStyles } from '../base/theme.styles.js';
import { pnlStyles } from './pnl-summary.styles.js';
import { COLUMNS, SORT_COLUMNS, SORT_KEYS, moneyDigits, type SortKey } from './columns.js';

// The types of this element's public API, importable with it (`live-market-widgets/elements/pnl-summary.js`).
export type { ElementError, PnlEventDetail, StateChangeDetail } from '../../events/index.js';
export type { PortfolioTotals, Position } from '../../protocol/index.js';
export { SORT_KEYS, type SortKey } from './columns.js';

/** A table column (`precision` is how price cells format, not a column). */
export type PositionColumn = Exclude<keyof Position, 'precision'>;
type NumericColumn = Exclude<PositionColumn, 'symbol'>;

const NUMERIC: readonly NumericColumn[] = ['qty', 'avgPrice', 'lastPrice', 'marketValue', 'unrealizedPnl', 'realizedPnl'];

/**
 * A table row re-renders from live data at most this often (ms). Nobody reads a 50-row
 * table that changes 60 times a second, and every render costs style, layout and paint.
 * Sorting, attribute changes, state changes and a new snapshot render the whole table at
 * once; `summary`, `positions` and `lmw-pnl` follow the data at once (at most once per frame).
 */
export const DATA_RENDER_INTERVAL_MS = 250;

/**
 * Live data refreshes the table at most this often (ms), every row due at once: a refresh
 * relays out and repaints the table whatever the number of rows it touches (about 1 ms on
 * a 2-core machine), so a few rows every frame cost several times more than batches.
 */
export const TABLE_REFRESH_MS = 100;

/**
 * Most rows one table refresh takes from live data, the longest-waiting first, so no frame
 * pays for re-laying out the whole table (a full 50-row refresh cost 5-8 ms of layout).
 */
export const ROWS_PER_RENDER = 25;

/**
 * A changed cell is tinted for one table render (about DATA_RENDER_INTERVAL_MS) and flashes
 * at most once per FLASH_MS. The tint is switched on and off by the table renders, with no
 * CSS animation: every running animation costs style work on every frame, which with 100+
 * cells animating took a third of each second.
 */
export const FLASH_MS = 1000;
/** A lit cell goes dark at the first table render at least this long (ms) after it lit. */
const FLASH_LIT_MS = 200;

/** Cells that move with the last price: they flash only when the price did not (a fill, not a mark). */
const MARK_DERIVED: ReadonlySet<NumericColumn> = new Set(['marketValue', 'unrealizedPnl']);

/** Per flashed cell: the direction, when it lit, and whether it is still lit. */
type Flash = { up: boolean; at: number; lit: boolean };

/** One table row: the position as shown, its formatted cells, its flashes, and a version for `guard`. */
interface RowView {
  shown: Position;
  text: Record<NumericColumn, string>;
  flash: Partial<Record<NumericColumn, Flash>>;
  version: number;
  /** When this row was last refreshed (performance.now()). */
  renderedAt: number;
}

/**
 * Profit and loss of one account: totals and a sortable positions table that
 * flashes the cells that change. Each row re-renders from live data at most every
 * 250 ms, the rows due together at most every 100 ms (see docs/elements.md, "Render cadence").
 * Out of view the browser skips rendering the table (`content-visibility: auto`); its rows
 * stay current in the DOM and the accessibility tree. Price cells show the symbol's precision
 * (the `precision` attribute, else the server's per row, else derived from the last price).
 *
 * @tagname pnl-summary
 * @summary Live portfolio P&L.
 *
 * @fires {CustomEvent<PnlEventDetail>} lmw-pnl - The totals changed (from server data, never from a property set); detail `{totals}`.
 * @fires {CustomEvent<StateChangeDetail>} lmw-state-change - `state` changed; detail `{state, previous}`.
 * @fires {CustomEvent<ElementError>} lmw-error - Entered the error state (bad account, server error; an account not published yet waits instead); detail `{code, message}`.
 *
 * @csspart base - The wrapper that holds the element's box and layout, whatever the host's `display`; the container its sizes are queried against.
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
 * @cssprop [--lmw-table-max-height=none] - Height after which the table scrolls.
 */
export class PnlSummary extends MarketElement {
  static override styles = [themeStyles, pnlStyles];

  /**
   * Account to show (letters, digits and `._-`). The reference server simulates `demo`; any
   * other account a backend publishes (docs/publishing.md). Until its first publish the
   * element stays loading ("Waiting for account …") and asks again, every 1 s up to every 10 s.
   */
  @property() account = 'demo';

  /** ISO 4217 code used to format money, overriding the account's own currency. */
  @property() currency?: string;

  /**
   * Column the table is sorted by: `symbol`, `qty`, `avg-price`, `last-price`, `market-value`,
   * `unrealized-pnl` or `realized-pnl` (the camelCase names, e.g. `unrealizedPnl`, also work).
   * Any other value sorts by symbol and warns once on the console.
   */
  @property({ attribute: 'sort-by' }) sortBy: SortKey = 'symbol';

  /** Sort direction: `asc` or `desc`. */
  @property({ attribute: 'sort-direction' }) sortDirection: 'asc' | 'desc' = 'asc';

  /**
   * Decimals of the price cells (avg price, last), 0 to 10, for every row, overriding
   * each symbol's precision from the server. Money keeps its currency's decimals.
   * Anything else is an error.
   */
  @property({ converter: precisionConverter }) precision?: number;

  private _data?: { account: string; currency: string };
  /** The latest data; unchanged rows keep their object, so the table can tell them apart cheaply. */
  private _positions = new Map<string, Position>();
  private _totals?: PortfolioTotals;
  /** What the table shows, per symbol (refreshed at most every DATA_RENDER_INTERVAL_MS). */
  private _views = new Map<string, RowView>();
  /** Rows in table order as last refreshed. */
  private _tableRows: RowView[] = [];
  /** Bumped on each table refresh: the table template is guarded on it. */
  private _tableVersion = 0;
  private _tableFormatKey = '';
  /** The next refresh must not wait (new snapshot or reset: no throttling, no flashing). */
  private _tableReset = true;
  private _tableTimer?: ReturnType<typeof setTimeout>;
  /** Cells tinted now: a later table render must switch them off even without new data. */
  private _litCells = 0;
  /** When the table was last refreshed (performance.now()). */
  private _refreshedAt = -Infinity;
  /** Bad `sort-by` values already warned about (once each). */
  private readonly _warnedSortBy = new Set<string>();

  /**
   * The account totals (`marketValue`, `unrealizedPnl`, `realizedPnl`, `totalPnl`), rounded like the display
   * (the currency's digits, as in `lmw-pnl`), or null before data.
   */
  get summary(): PortfolioTotals | null {
    return this._totals ? this.roundTotals(this._totals) : null;
  }

  /** The latest position rows (copies), in the table's sort order; the table on screen follows within 250 ms. */
  get positions(): Position[] {
    return this.sortedPositions().map((row) => ({ ...row }));
  }

  protected override get hasData(): boolean {
    return this._totals !== undefined;
  }

  /** A published account may not exist yet: wait for it rather than fail. */
  protected override get waitsForPublish(): boolean {
    return true;
  }

  protected override topicChoice(): TopicChoice {
    const account = this.account.trim();
    if (!account) return { error: { code: 'bad_attribute', message: 'Set the account attribute, e.g. account="demo".' } };
    if (!ACCOUNT_PATTERN.test(account)) return { error: { code: 'bad_attribute', message: `Invalid account "${account}".` } };
    const precisionError = precisionProblem(this.precision);
    if (precisionError) return { error: { code: 'bad_attribute', message: precisionError } };
    return { topic: portfolioTopic(account) };
  }

  protected override clearData(): void {
    this._data = undefined;
    this._positions = new Map();
    this._totals = undefined;
    this._views = new Map();
    this._tableRows = [];
    this._tableReset = true;
    this._litCells = 0;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this._tableTimer);
    this._tableTimer = undefined;
  }

  protected override onTopicEvent(event: TopicEvent): void {
    const data = event.state.data as PortfolioSnapshotData;
    if (event.kind !== 'update' || !this._totals) this._tableReset = true;
    const next = new Map<string, Position>();
    for (const row of data.positions) {
      const before = this._positions.get(row.symbol);
      next.set(row.symbol, before && samePosition(before, row) ? before : { ...row });
    }
    this._positions = next;
    this._data = { account: data.account, currency: data.currency };
    const previous = this._totals;
    const totals = { ...data.totals };
    this._totals = totals;
    if (!previous || !sameTotals(previous, totals)) this.emit('lmw-pnl', { totals: this.roundTotals(totals) });
  }

  /** Totals rounded like the display (the currency's digits), so the event carries no float noise. */
  private roundTotals(totals: PortfolioTotals): PortfolioTotals {
    const digits = moneyDigits(this.moneyCurrency());
    const round = (value: number) => Number(value.toFixed(digits)); // rounds like Intl: half away from zero
    return {
      marketValue: round(totals.marketValue),
      unrealizedPnl: round(totals.unrealizedPnl),
      realizedPnl: round(totals.realizedPnl),
      totalPnl: round(totals.totalPnl),
    };
  }

  private sortedPositions(): Position[] {
    return this.sortRows([...this._positions.values()]);
  }

  /** The column `sort-by` names; symbol for an unknown value. */
  private sortColumn(): PositionColumn {
    return SORT_COLUMNS.get(String(this.sortBy).trim()) ?? 'symbol';
  }

  private sortRows(rows: Position[]): Position[] {
    const key = this.sortColumn();
    const sign = this.sortDirection === 'desc' ? -1 : 1;
    return rows.sort((a, b) => {
      const x = a[key];
      const y = b[key];
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return order * sign || a.symbol.localeCompare(b.symbol);
    });
  }

  private sortOn(column: (typeof COLUMNS)[number]): void {
    if (this.sortColumn() === column.key) this.sortDirection = this.sortDirection === 'asc' ? 'desc' : 'asc';
    else {
      this.sortBy = column.sort;
      this.sortDirection = column.key === 'symbol' ? 'asc' : 'desc';
    }
  }

  private checkSortBy(): void {
    const value = String(this.sortBy);
    if (SORT_COLUMNS.has(value.trim()) || this._warnedSortBy.has(value)) return;
    this._warnedSortBy.add(value);
    console.warn(`live-market-widgets: <pnl-summary> unknown sort-by "${value}", sorting by symbol (use ${SORT_KEYS.join(', ')}).`);
  }

  // ---- table cadence -------------------------------------------------------

  /** What the last render showed besides the data: a change here renders at once. */
  private _renderedKey = '';

  private viewKey(): string {
    return `${this.state}|${this.connection}|${this.error?.message ?? ''}`;
  }

  /**
   * How long until a row is due for a refresh (0: now; Infinity: nothing pending). A row is
   * due when its data changed and it was last refreshed DATA_RENDER_INTERVAL_MS ago, or when
   * its tint must go off.
   */
  private tableWait(now: number): number {
    if (this._positions.size !== this._views.size) return 0; // rows came or went
    let wait = Infinity;
    for (const view of this._views.values()) {
      const row = this._positions.get(view.shown.symbol);
      if (!row) return 0;
      if (row !== view.shown) wait = Math.min(wait, view.renderedAt + DATA_RENDER_INTERVAL_MS - now);
      if (this._litCells > 0)
        for (const flash of Object.values(view.flash)) if (flash.lit) wait = Math.min(wait, flash.at + FLASH_LIT_MS - now);
      if (wait <= 0) break;
    }
    // Due rows wait for the table's next refresh slot (TABLE_REFRESH_MS).
    return wait === Infinity ? wait : Math.max(wait, this._refreshedAt + TABLE_REFRESH_MS - now);
  }

  /** Renders caused by live data alone wait until a row is due (a timer renders the latest data then). */
  protected override shouldUpdate(changed: PropertyValues): boolean {
    if (!super.shouldUpdate(changed)) return false;
    if (changed.size > 0 || this._tableReset || this.viewKey() !== this._renderedKey) return true;
    const wait = this.tableWait(performance.now());
    if (wait <= 0 || wait === Infinity) return true; // nothing pending: some other reason to render
    this.scheduleTableRender(wait);
    return false;
  }

  private scheduleTableRender(wait: number): void {
    if (this._tableTimer !== undefined || !this.isConnected) return;
    this._tableTimer = setTimeout(() => {
      this._tableTimer = undefined;
      this.requestUpdate();
    }, Math.max(wait, 0));
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (changed.has('sortBy')) this.checkSortBy();
    const now = performance.now();
    const formatKey = `${this.resolvedLocale ?? ''}|${this.moneyCurrency()}|${this.precision}`;
    const full = changed.size > 0 || this._tableReset || formatKey !== this._tableFormatKey;
    if (full || this.tableWait(now) <= 0) this.refreshTable(now, formatKey, full);
    // Rows still pending (more than one render's share, or later changes): come back for them.
    const wait = this.tableWait(now);
    if (wait !== Infinity) this.scheduleTableRender(wait <= 0 ? 16 : wait);
    this._renderedKey = this.viewKey();
  }

  /**
   * Brings table rows up to the latest data, formatting and flashing only the cells that
   * changed: every row when `full`, else at most ROWS_PER_RENDER of the rows due, oldest first.
   */
  private refreshTable(now: number, formatKey: string, full: boolean): void {
    clearTimeout(this._tableTimer);
    this._tableTimer = undefined;
    const reformat = formatKey !== this._tableFormatKey;
    const flashing = !this._tableReset;
    const structural = this._positions.size !== this._views.size || [...this._positions.keys()].some((s) => !this._views.has(s));
    full ||= structural;
    const due = new Set<RowView>();
    if (!full) {
      const candidates = [...this._views.values()].filter(
        (view) => this._positions.get(view.shown.symbol) !== view.shown && now - view.renderedAt >= DATA_RENDER_INTERVAL_MS,
      );
      candidates.sort((a, b) => a.renderedAt - b.renderedAt);
      for (const view of candidates.slice(0, ROWS_PER_RENDER)) due.add(view);
    }
    const views = new Map<string, RowView>();
    let lit = 0;
    for (const row of this._positions.values()) {
      let view = this._views.get(row.symbol);
      if (view && this._litCells > 0)
        for (const flash of Object.values(view.flash))
          if (flash.lit && now - flash.at >= FLASH_LIT_MS) {
            flash.lit = false;
            view.version++;
          }
      if (!view) view = { shown: row, text: this.formatCells(row), flash: {}, version: 0, renderedAt: now };
      else if ((full || due.has(view)) && (view.shown !== row || reformat)) {
        const before = view.shown;
        const marked = row.lastPrice !== before.lastPrice;
        for (const key of NUMERIC) {
          if (row[key] === before[key]) continue;
          const text = this.formatCell(key, row);
          if (text === view.text[key]) continue; // a change too small to show does not flash
          view.text[key] = text;
          const flash = view.flash[key];
          // A mark flashes its price cell only; a cell flashes at most once per FLASH_MS.
          if (flashing && !(marked && MARK_DERIVED.has(key)) && (!flash || now - flash.at >= FLASH_MS))
            view.flash[key] = { up: row[key] > before[key], at: now, lit: true };
        }
        if (reformat) view.text = this.formatCells(row);
        view.shown = row;
        view.renderedAt = now;
        view.version++;
      }
      for (const flash of Object.values(view.flash)) if (flash.lit) lit++;
      views.set(row.symbol, view);
    }
    this._views = views;
    this._litCells = lit;
    // Sorted by what the rows show, so the order always matches the figures on screen.
    this._tableRows = this.sortRows([...views.values()].map((view) => view.shown)).map((row) => views.get(row.symbol)!);
    this._tableFormatKey = formatKey;
    this._tableReset = false;
    this._tableVersion++;
    this._refreshedAt = now;
  }

  private formatCell(key: NumericColumn, row: Position): string {
    const f = this.format;
    const value = row[key];
    if (key === 'qty') return f.number(value, 4);
    // Prices at the attribute's precision, else the row's (the server's), else derived from the last price.
    if (key === 'avgPrice' || key === 'lastPrice')
      return getPriceFormat(this.resolvedLocale, choosePrecision(this.precision, row.precision, row.lastPrice)).price(value);
    return f.money(value, this.moneyCurrency());
  }

  private formatCells(row: Position): Record<NumericColumn, string> {
    const text = {} as Record<NumericColumn, string>;
    for (const key of NUMERIC) text[key] = this.formatCell(key, row);
    return text;
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
              ${this.waitingForPublish
                ? html`<p class="muted waiting">Waiting for account ${account} to be published…</p>`
                : html`<span class="visually-hidden">Loading portfolio ${account}…</span>`}
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
    const money = (value: number) => this.format.money(value, currency);
    const tile = (label: string, value: number, colour: boolean) =>
      html`<div>
        <dt>${label}</dt>
        <dd class=${colour ? signed(value) : ''}>${money(value)}</dd>
      </div>`;
    return html`
      <dl class="totals" part="totals">
        ${tile('Market value', totals.marketValue, false)} ${tile('Unrealized', totals.unrealizedPnl, true)}
        ${tile('Realized', totals.realizedPnl, true)} ${tile('Total P&L', totals.totalPnl, true)}
      </dl>
      <div class="table-wrap">${guard([this._tableVersion], () => this.renderTable())}</div>
    `;
  }

  private renderTable() {
    const rows = this._tableRows;
    const formatKey = this._tableFormatKey;
    const sorted = this.sortColumn();
    return html`<table part="table">
      <caption class="visually-hidden">
        Positions of account ${this.account.trim()}
      </caption>
      <thead>
        <tr>
          ${COLUMNS.map(
            (column) =>
              html`<th
                scope="col"
                aria-sort=${sorted === column.key ? (this.sortDirection === 'asc' ? 'ascending' : 'descending') : nothing}
              >
                <button type="button" @click=${() => this.sortOn(column)}>
                  ${column.label}${sorted === column.key
                    ? html`<span aria-hidden="true"> ${this.sortDirection === 'asc' ? '↑' : '↓'}</span>`
                    : nothing}
                </button>
              </th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${rows.length === 0
          ? html`<tr><td class="empty" colspan=${COLUMNS.length}>No open positions in account ${this.account.trim()}</td></tr>`
          : repeat(
              rows,
              (view) => view.shown.symbol,
              // Only rows whose data (or format) changed since the last table render re-render.
              (view) => guard([view.version, formatKey], () => renderRow(view)),
            )}
      </tbody>
    </table>`;
  }
}

const signed = (value: number) => (value > 0 ? 'up' : value < 0 ? 'down' : '');

function renderRow(view: RowView) {
  const { shown: row, text, flash } = view;
  const cell = (key: NumericColumn, colour = '') => {
    const f = flash[key];
    const flashClass = f?.lit ? ` flash-${f.up ? 'up' : 'down'}` : '';
    return html`<td class=${`num ${colour}${flashClass}`}>${text[key]}</td>`;
  };
  return html`<tr>
    <td class="symbol">${row.symbol}</td>
    ${cell('qty')} ${cell('avgPrice')} ${cell('lastPrice')} ${cell('marketValue')}
    ${cell('unrealizedPnl', signed(row.unrealizedPnl))} ${cell('realizedPnl', signed(row.realizedPnl))}
  </tr>`;
}

function samePosition(a: Position, b: Position): boolean {
  return a.symbol === b.symbol && NUMERIC.every((key) => a[key] === b[key]);
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
