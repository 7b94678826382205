#!/usr/bin/env bash
# The walkthrough of docs/cli.md: train, sample, evaluate and plot a VP model on `moons`, then a few
# user errors (each prints one line and exits with status 2). Run from an empty folder:
#   mkdir -p /tmp/walk && cd /tmp/walk && bash /path/to/examples/cli_walkthrough.sh
set -u
export OMP_NUM_THREADS=1
run() { echo "\$ $*"; "$@"; echo "[exit $?]"; echo; }

run dmm train --process vp --data moons --steps 3000 --batch-size 512 --set hidden=128 \
    --set lr=3e-3 --quiet
run dmm sample runs/vp-moons -n 2000 -o moons.npy --sampler ode-heun --steps 50
run dmm eval runs/vp-moons --data moons --sampler ode-heun --steps 50
run dmm plot runs/vp-moons --sampler ode-heun --steps 50
run dmm processes

printf 'a,b\n1.0,2.0\n0.5,-3.0\n2.0,1.0\n-1.0,-1.0\n' > neg.csv
printf '1,2\n3,nan\n' > nan.csv
run dmm train --process vp --data moons --steps 10             # the run folder exists
run dmm train --process vp --data moons.csv                     # no such file
run dmm train --process vp --data nan.csv --out runs/n          # NaN
run dmm train --process gbm --data neg.csv --out runs/g         # outside (0, inf)^2
run dmm train --process vq --data moons                         # unknown process
run dmm train --process vp --data moons --set hidden=-4 --out runs/x
run dmm train --process vp --data moons --set lr=-1 --out runs/y
run dmm train --process vp --data moons --set hiden=64 --out runs/y
run dmm sample runs/vp-moons -n 10 -o x.npy --sampler rk4
