"""Independent reference of `strategy.kind: sma_cross` (no dependencies, plain floats).

Re-implements vectorbt 1.2.0's rules from its source (MA.run rolling means, crossed_above /
crossed_below with the `was_below` state, Portfolio.from_signals long only with size=inf,
fees on both legs, fills at the close) and prints, per (fast, slow) pair: the number of
trades, the final equity with a position still open at the end closed at the last close with
its fee (auction-trader's convention) and vectorbt's total return (open position marked
without a fee). Compare with `auction-trader grid list` / `grid export` rows.

Usage: python3 sma_crosscheck.py BARS.csv INITIAL_CASH FEE FAST:SLOW [FAST:SLOW ...]
"""
import csv
import sys


def rolling_mean(values, window):
    out = [None] * len(values)
    total = 0.0
    for index, value in enumerate(values):
        total += value
        if index >= window:
            total -= values[index - window]
        if index >= window - 1:
            out[index] = total / window
    return out


def crossed(first, second, above):
    # vectorbt's crossed_above_1d_nb (wait=0); crossed_below swaps the arguments.
    if not above:
        first, second = second, first
    out = [False] * len(first)
    was_below = False
    crossed_ago = -1
    for i in range(len(first)):
        a, b = first[i], second[i]
        if a is None or b is None:
            crossed_ago = -1
            was_below = False
            continue
        if was_below:
            if a > b:
                crossed_ago += 1
                out[i] = crossed_ago == 0
            else:
                crossed_ago = -1
        else:
            if a < b:
                was_below = True
            crossed_ago = -1
    return out


def simulate(close, fast, slow, cash, fee):
    fast_ma, slow_ma = rolling_mean(close, fast), rolling_mean(close, slow)
    entries, exits = crossed(fast_ma, slow_ma, True), crossed(fast_ma, slow_ma, False)
    size = 0.0
    trades = 0
    for i, price in enumerate(close):
        if size == 0.0 and entries[i] and not exits[i]:
            size = cash / (price * (1 + fee))
            cash -= size * price * (1 + fee)
            trades += 1
        elif size > 0.0 and exits[i] and not entries[i]:
            cash += size * price * (1 - fee)
            size = 0.0
    marked = cash + size * close[-1]
    closed = cash + size * close[-1] * (1 - fee)
    return trades, closed, marked


def main():
    path, initial, fee = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    with open(path, newline="") as handle:
        close = [float(row["close"]) for row in csv.DictReader(handle)]
    print("fast,slow,trades,final_equity_closed,vectorbt_total_return")
    for pair in sys.argv[4:]:
        fast, slow = (int(part) for part in pair.split(":"))
        trades, closed, marked = simulate(close, fast, slow, initial, fee)
        print(f"{fast},{slow},{trades},{closed:.6f},{marked / initial - 1:.6f}")


if __name__ == "__main__":
    main()
