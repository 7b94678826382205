#!/bin/sh
# All digits results of docs/chains.md (two runs at a time; about 10 minutes per pair on a shared
# 2-core machine, ~4 CPU-minutes per run).
set -e
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
$PY benchmarks/chains_digits.py --process absorbing --steps 1000 &
$PY benchmarks/chains_digits.py --process absorbing --steps 1000 --conditional &
wait
$PY benchmarks/chains_digits.py --process uniform --steps 1000 &
$PY benchmarks/chains_digits.py --process ordinal --steps 1000 --t-min 1e-5 &
wait
