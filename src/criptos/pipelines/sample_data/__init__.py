"""Seeds raw.csv on a fresh project: real candles by default (never overwrites)."""
