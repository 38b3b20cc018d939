#!/usr/bin/env python3
"""Tail points (>= p90) of adaptive prefixes that the coarse pass (first C rows) predicted below that p90:
what the rounds made worse, by batch_size.
usage: rounds_worse.py <aiconf> <adaptive-table> <full-root> <system> <table> <C> <N>... [--model M]"""
import argparse, collections, json, os, shutil, subprocess, tempfile
ap = argparse.ArgumentParser()
for x in ('aiconf', 'adaptive', 'full_root', 'system', 'table'): ap.add_argument(x)
ap.add_argument('coarse', type=int); ap.add_argument('n', type=int, nargs='+'); ap.add_argument('--model')
a = ap.parse_args()
L = open(a.adaptive).read().splitlines(); H, R = L[0], [l for l in L[1:] if l]
def ho(n):
    with tempfile.TemporaryDirectory() as tmp:
        d = os.path.join(tmp, a.system, 'aiconf', '0.1.0'); os.makedirs(d)
        shutil.copytree(os.path.join(a.full_root, 'systems'), os.path.join(tmp, 'systems'))
        open(os.path.join(d, a.table + '.txt'), 'w').write('\n'.join([H] + R[:n]) + '\n')
        t = json.loads(subprocess.run([a.aiconf, 'db', 'holdout', tmp, a.full_root, '--system', a.system, '--table', a.table,
            '--backend', 'aiconf', '--json', '--worst', '100000'] + (['--model', a.model] if a.model else []),
            check=True, capture_output=True, text=True).stdout)['systems'][0]['tables'][0]
    return {w['key']: w for w in t['worst']}, t['all']['p90_pct']
c, _ = ho(a.coarse)
for n in a.n:
    e, p = ho(n); tail = [k for k in e if e[k]['error_pct'] >= p]
    worse = [k for k in tail if k in c and c[k]['error_pct'] < p]
    print(f'{n}: tail {len(tail)} points (p90 {p:.1f}%, extrapolated {sum(e[k]["frontier"] for k in tail)}); below that p90 in the coarse pass: '
          f'{len(worse)}; coarse-pass error of the tail, median {sorted(c[k]["error_pct"] for k in tail if k in c)[len(tail) // 2]:.1f}%')
    print('  made worse by the rounds, by batch_size:', dict(collections.Counter(dict(x.split('=') for x in k.split())['batch_size'] for k in worse)))
