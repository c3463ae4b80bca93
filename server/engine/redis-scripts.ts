/**
 * The Lua scripts of the Redis engine (server/engine/redis-engine.ts) and the key layout
 * they work on. Every write is one script: read or create the topic's epoch, fold the
 * change into the state, HINCRBY the seq, XADD the update to the topic's stream with the
 * entry id `<seq>-0`, PUBLISH it last. Scripts run one at a time, so the seq is atomic
 * across publishers on different nodes, and whatever a node receives live is already in
 * the stream. Every key of one topic (for candles: of one symbol, all six intervals)
 * shares a hash tag, so a script touches one cluster slot.
 *
 * Numbers of bars travel as `%.17g` text, which gives back the same double in JavaScript,
 * so the node writes the same JSON text for an update as the memory engine would.
 *
 * Entries and live payloads: a stream entry's field `u` is `<time>|<body>`, a live
 * message is `<epoch>|<seq>|<time>|<body>`; the body is the update's data as JSON (events,
 * state) or `time,open,high,low,close,volume,trades` (candles).
 */

/** The keys of one topic. */
export interface TopicKeys {
  /** Hash: epoch, run (the Redis run id the epoch was made under), seq; `doc` for state and portfolio topics; portfolio topics' ledger `rows` and `rowsEpoch`. */
  meta: string;
  /** Stream of updates, entry ids `<seq>-0`, trimmed to the topic's history. */
  stream: string;
  /** Pub/sub channel of live updates. */
  channel: string;
  /** Kind-specific state: candles `bars` (hash time -> bar) and `times` (zset); events `list` and `ids` (zset id -> seq). */
  bars: string;
  times: string;
  list: string;
  ids: string;
  /** Candles: the symbol's price precision (hash precision, tickSize) and mark (its newest trade: mark, markTime), shared by its six intervals. */
  precision: string;
}

/** Prefix of every key the engine writes. */
export const KEY_PREFIX = 'lmw:';

/**
 * Keys of a topic. The hash tag is the symbol for candles (one trade script updates all
 * six intervals), else the whole topic name; names cannot contain braces.
 */
export function topicKeys(topic: string): TopicKeys {
  const parts = topic.split(':');
  const kind = parts[0]!;
  const base = kind === 'candles' ? `${KEY_PREFIX}{c:${parts[1]}}:${parts[2]}` : `${KEY_PREFIX}{${topic}}`;
  const tag = kind === 'candles' ? `${KEY_PREFIX}{c:${parts[1]}}` : base;
  return {
    meta: `${base}:m`,
    stream: `${base}:h`,
    channel: base,
    bars: `${base}:bars`,
    times: `${base}:times`,
    list: `${base}:list`,
    ids: `${base}:ids`,
    precision: `${tag}:p`,
  };
}

/**
 * The accounts whose portfolio holds `symbol` (a set, in the symbol's slot): the portfolios
 * its trades re-mark (server/engine/redis-portfolios.ts).
 */
export function holdersKey(symbol: string): string {
  return `${KEY_PREFIX}{c:${symbol}}:accounts`;
}

/** A symbol's trade ids (zset id -> arrival ms), in the symbol's slot. */
export function tradeIdsKey(symbol: string): string {
  return `${KEY_PREFIX}{c:${symbol}}:tids`;
}

/**
 * Shared by every script. `ensure` returns the topic's epoch and seq; a missing meta (when
 * `create`) or one made under another Redis run id gives a new epoch at seq 0 with an
 * emptied stream (and `extra` keys deleted), so seqs are never reused under an old epoch.
 */
const PRELUDE = `
local RUN = nil
local function run_id()
  if not RUN then RUN = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') end
  return RUN
end
local function ensure(meta, stream, create, extra)
  local m = redis.call('HMGET', meta, 'epoch', 'run', 'seq')
  local run = run_id()
  if m[1] and m[2] == run then return m[1], tonumber(m[3]) end
  if not m[1] and not create then return false, 0 end
  local t = redis.call('TIME')
  local epoch = string.sub(run, 1, 8) .. '-' .. t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('DEL', stream)
  if extra then for _, k in ipairs(extra) do redis.call('DEL', k) end end
  redis.call('HSET', meta, 'epoch', epoch, 'run', run, 'seq', 0)
  return epoch, 0
end
local function append(meta, stream, channel, epoch, maxlen, time, body)
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  local entry = time .. '|' .. body
  redis.call('XADD', stream, 'MAXLEN', maxlen, seq .. '-0', 'u', entry)
  redis.call('PUBLISH', channel, epoch .. '|' .. seq .. '|' .. entry)
  return seq
end
local function num(x)
  return string.format('%.17g', x)
end
`;

/**
 * Trades of one symbol into its six candle series. KEYS: per interval (in INTERVALS order)
 * meta, stream, bars, times; then the precision hash; then the symbol's trade ids (zset id
 * -> arrival ms by Redis' clock, under the symbol's hash tag); then its holders (holdersKey). ARGV: maxBars, maxlen, now,
 * precision ('' = none), tickSize ('' = none), then the interval seconds (6), then the id
 * window (most ids kept, their longest age in ms), then per trade price, size, time, id
 * ('' = none). A trade whose id is in the window (from any node, or earlier in the batch)
 * is dropped: not folded, not marked; the window is trimmed by age before the check and
 * by count after it, as server/trade-ids.ts does in memory. Per interval, each changed
 * bar goes out once (its state after the batch), bars in time order, as the memory
 * aggregator does. Returns each interval's seq after it, the duplicates dropped, then the
 * symbol's precision and its holders, for the portfolios' re-mark.
 */
export const TRADES_SCRIPT = `${PRELUDE}
local max_bars = tonumber(ARGV[1])
local maxlen = ARGV[2]
local now = ARGV[3]
if ARGV[4] ~= '' then
  local p = tonumber(redis.call('HGET', KEYS[25], 'precision') or '-1')
  if tonumber(ARGV[4]) > p then redis.call('HSET', KEYS[25], 'precision', ARGV[4]) end
end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[25], 'tickSize', ARGV[5]) end
local first_trade, stride = 14, 4
-- Trade ids first: fresh holds the ARGV index of each trade that is folded (the others are duplicates).
local ids, id_count, id_ms = KEYS[26], tonumber(ARGV[12]), tonumber(ARGV[13])
local clock = redis.call('TIME')
local now_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', ids, '-inf', num(now_ms - id_ms))
local fresh, duplicates, added = {}, 0, 0
for j = first_trade, #ARGV, stride do
  local id = ARGV[j + 3]
  if id == '' then
    fresh[#fresh + 1] = j
  elseif redis.call('ZSCORE', ids, id) then -- an id earlier in this batch is in it already
    duplicates = duplicates + 1
  else
    redis.call('ZADD', ids, num(now_ms), id)
    added = added + 1
    fresh[#fresh + 1] = j
  end
end
if added > 0 then
  local over = redis.call('ZCARD', ids) - id_count
  if over > 0 then redis.call('ZREMRANGEBYRANK', ids, 0, over - 1) end
  -- Every id is younger than the newest: the zset of a symbol that stops trading goes with its window.
  redis.call('PEXPIRE', ids, id_ms)
end
-- The symbol's mark: its newest trade by trade time (what posted portfolio rows are marked from).
local mark = redis.call('HMGET', KEYS[25], 'mark', 'markTime')
local mark_price, mark_time = mark[1], tonumber(mark[2] or '-1')
for _, j in ipairs(fresh) do
  if tonumber(ARGV[j + 2]) >= mark_time then mark_price, mark_time = ARGV[j], tonumber(ARGV[j + 2]) end
end
if mark_price then redis.call('HSET', KEYS[25], 'mark', mark_price, 'markTime', num(mark_time)) end
local out = {}
for i = 0, 5 do
  local meta, stream, bars, times = KEYS[i * 4 + 1], KEYS[i * 4 + 2], KEYS[i * 4 + 3], KEYS[i * 4 + 4]
  local sec = tonumber(ARGV[6 + i])
  local epoch, seq = ensure(meta, stream, true, nil)
  local pending, order = {}, {}
  local count = redis.call('ZCARD', times)
  local oldest = nil
  if count >= max_bars and count > 0 then oldest = tonumber(redis.call('ZRANGE', times, 0, 0)[1]) end
  for _, j in ipairs(fresh) do
    local price, size, t = tonumber(ARGV[j]), tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2])
    local b = math.floor(t / (sec * 1000)) * sec
    local bar = pending[b]
    local skip = false
    if not bar then
      local raw = redis.call('HGET', bars, b)
      if raw then
        local f = {}
        for v in string.gmatch(raw, '[^,]+') do f[#f + 1] = tonumber(v) end
        bar = { o = f[2], h = f[3], l = f[4], c = f[5], v = f[6], n = f[7], first = f[8], last = f[9] }
      elseif count >= max_bars and oldest and b < oldest then
        skip = true
      end
    end
    if not skip then
      if not bar then
        bar = { o = price, h = price, l = price, c = price, v = size, n = 1, first = t, last = t }
      else
        if price > bar.h then bar.h = price end
        if price < bar.l then bar.l = price end
        bar.v = bar.v + size
        bar.n = bar.n + 1
        if t < bar.first then bar.first = t; bar.o = price end
        if t >= bar.last then bar.last = t; bar.c = price end
      end
      if not pending[b] then order[#order + 1] = b end
      pending[b] = bar
    end
  end
  table.sort(order)
  for _, b in ipairs(order) do
    local bar = pending[b]
    local text = b .. ',' .. num(bar.o) .. ',' .. num(bar.h) .. ',' .. num(bar.l) .. ',' .. num(bar.c) .. ',' .. num(bar.v) .. ',' .. bar.n
    seq = append(meta, stream, meta:sub(1, -3), epoch, maxlen, now, text)
    redis.call('HSET', bars, b, text .. ',' .. num(bar.first) .. ',' .. num(bar.last) .. ',' .. seq)
    redis.call('ZADD', times, b, b)
  end
  local over = count + #order - max_bars
  if over > 0 then over = redis.call('ZCARD', times) - max_bars end
  if over > 0 then
    for _, b in ipairs(redis.call('ZRANGE', times, 0, over - 1)) do redis.call('HDEL', bars, b) end
    redis.call('ZREMRANGEBYRANK', times, 0, over - 1)
  end
  out[#out + 1] = seq
end
out[#out + 1] = duplicates
-- What the portfolios' re-mark needs, read here rather than in another round trip.
out[#out + 1] = redis.call('HGET', KEYS[25], 'precision')
out[#out + 1] = redis.call('SMEMBERS', KEYS[27])
return out
`;

/**
 * The events of one publish on an `events:` topic, all or none. KEYS: meta, stream, list,
 * ids. ARGV: maxlen, eventsKept, idWindow, then per event its time, JSON and id ('' =
 * none). An id already stored is not stored again (a retried publish on any node, or the
 * same id twice in one publish). Returns {epoch, seq, stored}.
 */
export const EVENT_SCRIPT = `${PRELUDE}
local epoch, seq = ensure(KEYS[1], KEYS[2], true, { KEYS[3], KEYS[4] })
local kept, window = tonumber(ARGV[2]), tonumber(ARGV[3])
local stored = 0
for j = 4, #ARGV, 3 do
  local id = ARGV[j + 2]
  if id == '' or not redis.call('ZSCORE', KEYS[4], id) then
    redis.call('RPUSH', KEYS[3], ARGV[j + 1])
    seq = append(KEYS[1], KEYS[2], KEYS[1]:sub(1, -3), epoch, ARGV[1], ARGV[j], ARGV[j + 1])
    if id ~= '' then redis.call('ZADD', KEYS[4], seq, id) end
    stored = stored + 1
  end
end
if stored > 0 then
  redis.call('LTRIM', KEYS[3], -kept, -1)
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', seq - window)
end
return { epoch, seq, stored }
`;

/**
 * A change of a `state:` or `portfolio:` topic, folded by the node from the document it read
 * at (expectEpoch, expectSeq): stored only when the topic is still there (else the node reads
 * again and retries: a compare-and-set). KEYS: meta, stream. ARGV: maxlen, time, update
 * data JSON ('' = no update: only creates the topic with its document at seq 0), new
 * document JSON, expectEpoch ('' = the topic did not exist), expectSeq, and for portfolio
 * topics the ledger JSON (stored as `rows`, with the epoch it was written in as `rowsEpoch`).
 * Returns {epoch, seq, ok (1|0)}.
 */
export const DOC_SCRIPT = `${PRELUDE}
local epoch, seq = ensure(KEYS[1], KEYS[2], true, nil)
if seq ~= tonumber(ARGV[6]) or (ARGV[5] ~= '' and ARGV[5] ~= epoch) then return { epoch, seq, 0 } end
if ARGV[7] and ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'rows', ARGV[7], 'rowsEpoch', epoch) end
if ARGV[3] == '' then
  if not redis.call('HGET', KEYS[1], 'doc') then redis.call('HSET', KEYS[1], 'doc', ARGV[4]) end
  return { epoch, seq, 1 }
end
redis.call('HSET', KEYS[1], 'doc', ARGV[4])
seq = append(KEYS[1], KEYS[2], KEYS[1]:sub(1, -3), epoch, ARGV[1], ARGV[2], ARGV[3])
return { epoch, seq, 1 }
`;

/**
 * Reads a topic for a resume or a snapshot, in one step so they agree. KEYS: meta, stream,
 * then the kind's state keys (candles: bars, precision; events: list; state, portfolio: none,
 * their document is in the meta hash; a portfolio's state is its document, ledger and the
 * ledger's epoch).
 * ARGV: kind, sinceEpoch ('' = no since), sinceSeq, cap (most updates replayed), now,
 * maxAgeMs ('-1' = no age limit), wantState ('1': always), create ('1': a topic the node
 * knows, made at seq 0 when missing). Candle bars are stored as `time,open,high,low,close,
 * volume,trades,firstTradeTime,lastTradeTime,seq` (the seq of the bar's last change answers
 * a compacted resume). Returns {epoch, seq, gone ('' | other-epoch |
 * too-old | ahead | none), entries (array of `<seq>|<time>|<body>`), state parts...}, or
 * {false} when the topic does not exist.
 */
export const READ_SCRIPT = `${PRELUDE}
local kind = ARGV[1]
local extra = nil
if kind == 'events' then extra = { KEYS[3] } end
local epoch, seq = ensure(KEYS[1], KEYS[2], ARGV[8] == '1', nil)
if not epoch then return { false } end
local gone = 'none'
local entries = {}
if ARGV[2] ~= '' then
  local since = tonumber(ARGV[3])
  local missing = seq - since
  if ARGV[2] ~= epoch then gone = 'other-epoch'
  elseif since > seq then gone = 'ahead'
  elseif missing == 0 then gone = ''
  elseif since < 0 or missing > tonumber(ARGV[4]) then gone = 'too-old'
  else
    local r = redis.call('XRANGE', KEYS[2], '(' .. since .. '-0', '+', 'COUNT', missing)
    if #r ~= missing or r[1][1] ~= (since + 1) .. '-0' then gone = 'too-old'
    else
      local age = tonumber(ARGV[6])
      local first_time = tonumber(string.match(r[1][2][2], '^([^|]+)'))
      if age >= 0 and tonumber(ARGV[5]) - first_time > age then gone = 'too-old'
      else
        gone = ''
        for i, e in ipairs(r) do entries[i] = (since + i) .. '|' .. e[2][2] end
      end
    end
  end
end
local out = { epoch, seq, gone, entries }
if gone ~= '' or ARGV[7] == '1' then
  if kind == 'candles' then
    out[5] = redis.call('HGETALL', KEYS[3])
    out[6] = redis.call('HMGET', KEYS[4], 'precision', 'tickSize')
  elseif kind == 'events' then
    out[5] = redis.call('LRANGE', KEYS[3], 0, -1)
  elseif kind == 'state' then
    out[5] = redis.call('HGET', KEYS[1], 'doc') or '{}'
  elseif kind == 'portfolio' then
    local d = redis.call('HMGET', KEYS[1], 'doc', 'rows', 'rowsEpoch')
    out[5] = d[1] or '{}'
    out[6] = d[2] or ''
    out[7] = d[3] or ''
  end
end
return out
`;

/** The updates of a topic after `afterSeq` up to `toSeq` (gap repair). KEYS: stream. ARGV: afterSeq, toSeq. Returns `<seq>|<time>|<body>` each. */
export const RANGE_SCRIPT = `
local r = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1] .. '-0', ARGV[2] .. '-0')
local out = {}
for i, e in ipairs(r) do out[i] = string.match(e[1], '^(%d+)') .. '|' .. e[2][2] end
return out
`;
