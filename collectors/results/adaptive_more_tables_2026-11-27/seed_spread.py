#!/usr/bin/env python3
"""Per-seed spread of the random subsets' holdout p90 (same seeds and subsets as adaptive_vs_random.py),
and the adaptive subsets' GPU-seconds (the script prints GPU-minutes with 2 decimals).
usage: seed_spread.py <aiconf> <adaptive-table> <full-root> <system> <table> <first> <step> --seeds 5 --model M"""
import argparse, os, random, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'tools', 'perfdb'))
import adaptive_vs_random as avr
ap = argparse.ArgumentParser()
for a in ('aiconf', 'adaptive', 'full_root', 'system', 'table'): ap.add_argument(a)
ap.add_argument('first', type=int); ap.add_argument('step', type=int); ap.add_argument('--seeds', type=int, default=5); ap.add_argument('--model')
a = ap.parse_args()
header, ad = avr.read(a.adaptive)
fh, full = avr.read(os.path.join(a.full_root, a.system, 'aiconf', '0.1.0', a.table + '.txt'))
cols = fh.split(','); li, si = cols.index('latency'), cols.index('samples')
cost = {avr.key_of(fh, r): float(r.split(',')[li]) * float(r.split(',')[si]) for r in full}
print(f'full sweep {sum(cost.values()) / 1000:.2f} GPU-s')
print('| cases | adaptive GPU-s | adaptive p90 | random p90 per seed (min..max) | seeds with p90 below adaptive\'s |')
print('| --- | --- | --- | --- | --- |')
with tempfile.TemporaryDirectory() as tmp:
    for n in list(range(a.first, len(ad), a.step)) + [len(ad)]:
        s, _ = avr.holdout(a.aiconf, header, ad[:n], a.full_root, a.system, a.table, tmp, a.model)
        p = [avr.holdout(a.aiconf, fh, random.Random(seed).sample(full, n), a.full_root, a.system, a.table, tmp, a.model)[0]['p90_pct'] for seed in range(a.seeds)]
        print(f'| {n} | {avr.gpu_ms(fh, cost, header, ad[:n]) / 1000:.2f} | {s["p90_pct"]:.2f}% | {min(p):.2f}..{max(p):.2f}% | {sum(x < s["p90_pct"] for x in p)}/{a.seeds} |')
