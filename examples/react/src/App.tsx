// Importing the package registers the four elements (`live-market-widgets/react` types them in JSX).
import 'live-market-widgets';
import type { Bar, PortfolioTotals } from 'live-market-widgets';
import { useState } from 'react';

/** The server: `?src=` (the tests pass theirs), else the reference server's default address. */
const src = new URLSearchParams(location.search).get('src') ?? 'ws://127.0.0.1:8080/stream';

export function App() {
  const [lastBar, setLastBar] = useState<Bar | null>(null);
  const [totals, setTotals] = useState<PortfolioTotals | null>(null);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: '960px' }}>
      <h1>React 19</h1>
      <connection-badge src={src} variant="compact" />
      {/* Attributes by their HTML names (chart-type), properties by their JS names (maxBars);
          React 19 sets a prop the element has as a property, anything else as an attribute. */}
      <live-price-chart
        src={src}
        symbol="BTC-USD"
        interval="1s"
        chart-type="line"
        maxBars={300}
        style={{ height: '280px' }}
        onlmw-bar={(event) => setLastBar(event.detail.bar)}
      />
      <p>
        Last close from <code>lmw-bar</code>: <output id="last-close">{lastBar ? lastBar.close : '…'}</output>
      </p>
      <pnl-summary src={src} account="demo" sort-by="unrealized-pnl" sort-direction="desc" onlmw-pnl={(event) => setTotals(event.detail.totals)} />
      <p>
        Total P&amp;L from <code>lmw-pnl</code>: <output id="total-pnl">{totals ? totals.totalPnl : '…'}</output>
      </p>
      <ws-metrics-panel src={src} />
    </main>
  );
}
