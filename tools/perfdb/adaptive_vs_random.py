#!/usr/bin/env python3
"""How much GPU time `aiconf-collect --adaptive` saves: holdout error of the adaptive collection
against the full sweep, round by round, next to random subsets of the same size.

The adaptive table keeps its rows in measurement order (rows already present first, then the
coarse pass, then one block per round), so its prefixes are the table as it stood after each round.
Each subset is written to a temporary perf database and `aiconf db holdout <subset> <full>` predicts
the points of the full sweep that the subset lacks (plugin schema, so extrapolation holds the
speed-of-light utilisation, as queries do). "GPU time" is the sum over rows of latency x samples
(the timed replays; warm-up and flushes not counted) of the full sweep's rows, so a subset is priced
the same whether it came from a GPU run or from a replay (collectors/replay).

usage: adaptive_vs_random.py <aiconf> <adaptive-table.txt> <full-root> <system> <table>
                             <first-prefix> <step> [--seeds 3] [--model config.json]

--model: the model config whose dimensions complete the operation's speed-of-light key in holdout
(`aiconf db holdout --model`), as a query's key does; without it a module's extrapolation (its
speed-of-light needs hidden size, ranks...) falls back to a slope.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile


def read(path):
    with open(path) as f:
        lines = f.read().splitlines()
    return lines[0], [l for l in lines[1:] if l]


KEY_END = 'latency'


def key_of(header, row):
    """The key columns' values (between kernel_source and latency) of a row."""
    cols = header.split(',')
    f = row.split(',')
    return tuple(f[cols.index('kernel_source') + 1:cols.index(KEY_END)])


def gpu_ms(full_header, full_cost, header, rows):
    """GPU time the full sweep spent on these cases (latency x samples of its rows): the same
    price for every subset, whatever table (GPU run or replay) the subset came from."""
    return sum(full_cost[key_of(header, r)] for r in rows)


def holdout(aiconf, header, rows, full_root, system, table, tmp, model=None):
    root = os.path.join(tmp, 'subset')
    shutil.rmtree(root, ignore_errors=True)
    d = os.path.join(root, system, 'aiconf', '0.1.0')
    os.makedirs(d)
    # The system spec: extrapolation holds the boundary's utilization by speed-of-light, as queries do.
    shutil.copytree(os.path.join(full_root, 'systems'), os.path.join(root, 'systems'))
    with open(os.path.join(d, table + '.txt'), 'w') as f:
        f.write('\n'.join([header] + rows) + '\n')
    out = subprocess.run([aiconf, 'db', 'holdout', root, full_root, '--system', system, '--table', table,
                          '--backend', 'aiconf', '--json'] + (['--model', model] if model else []),
                         check=True, capture_output=True, text=True).stdout
    t = json.loads(out)['systems'][0]['tables'][0]
    if 'error' in t:
        raise SystemExit(t['error'])
    return t['all'], t['evaluated']


def main():
    ap = argparse.ArgumentParser()
    for a in ('aiconf', 'adaptive', 'full_root', 'system', 'table'):
        ap.add_argument(a)
    ap.add_argument('first', type=int)
    ap.add_argument('step', type=int)
    ap.add_argument('--seeds', type=int, default=3)
    ap.add_argument('--model', help='config.json whose dimensions complete the speed-of-light key')
    args = ap.parse_args()
    header, adaptive = read(args.adaptive)
    full_header, full = read(os.path.join(args.full_root, args.system, 'aiconf', '0.1.0', args.table + '.txt'))
    cols = full_header.split(',')
    li, si = cols.index('latency'), cols.index('samples')
    full_cost = {key_of(full_header, r): float(r.split(',')[li]) * float(r.split(',')[si]) for r in full}
    full_gpu = sum(full_cost.values())
    sizes = list(range(args.first, len(adaptive), args.step)) + [len(adaptive)]
    if args.model:
        print(f'speed-of-light key completed from {args.model}')
    print(f'{args.table} on {args.system}: full sweep {len(full)} cases, {full_gpu / 60000:.2f} GPU-minutes of timed samples')
    print('| cases | share of sweep | adaptive: GPU-min | adaptive: holdout median / p90 / max | random (%d seeds): median / p90 / max |' % args.seeds)
    print('| --- | --- | --- | --- | --- |')
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            sub = adaptive[:n]
            a, _ = holdout(args.aiconf, header, sub, args.full_root, args.system, args.table, tmp, args.model)
            rnd = []
            for seed in range(args.seeds):
                r, _ = holdout(args.aiconf, full_header, random.Random(seed).sample(full, n), args.full_root, args.system,
                               args.table, tmp, args.model)
                rnd.append(r)
            mean = lambda k: sum(r[k] for r in rnd) / len(rnd)
            print(f'| {n} | {n / len(full):.0%} | {gpu_ms(full_header, full_cost, header, sub) / 60000:.2f} | '
                  f'{a["median_pct"]:.2f}% / {a["p90_pct"]:.2f}% / {a["max_pct"]:.1f}% | '
                  f'{mean("median_pct"):.2f}% / {mean("p90_pct"):.2f}% / {mean("max_pct"):.1f}% |')


if __name__ == '__main__':
    main()
