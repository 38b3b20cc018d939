#!/usr/bin/env python3
"""Which unmeasured cases make the holdout p90 of an adaptive subset (its first N rows): extrapolations
or not, along which axes (numeric axes read from the table's schema).
usage: tools/perfdb/adaptive_diag_tail.py <aiconf> <adaptive-table> <full-root> <system> <table> <N> [--model M] [--show K]"""
import argparse, collections, json, os, shutil, subprocess, tempfile
ap = argparse.ArgumentParser()
for a in ('aiconf', 'adaptive', 'full_root', 'system', 'table'): ap.add_argument(a)
ap.add_argument('n', type=int); ap.add_argument('--model'); ap.add_argument('--show', type=int, default=25)
a = ap.parse_args()
lines = open(a.adaptive).read().splitlines()
header, rows = lines[0], [l for l in lines[1:] if l][:a.n]
cols = header.split(',')
k0, k1 = cols.index('kernel_source') + 1, cols.index('latency')
names = cols[k0:k1]
with tempfile.TemporaryDirectory() as tmp:
    d = os.path.join(tmp, a.system, 'aiconf', '0.1.0'); os.makedirs(d)
    shutil.copytree(os.path.join(a.full_root, 'systems'), os.path.join(tmp, 'systems'))
    open(os.path.join(d, a.table + '.txt'), 'w').write('\n'.join([header] + rows) + '\n')
    out = subprocess.run([a.aiconf, 'db', 'holdout', tmp, a.full_root, '--system', a.system, '--table', a.table,
                          '--backend', 'aiconf', '--json', '--worst', '100000'] + (['--model', a.model] if a.model else []),
                         check=True, capture_output=True, text=True).stdout
t = json.loads(out)['systems'][0]['tables'][0]
print('all', t['all'], '\ninterior', t['interior'], '\nfrontier', t['frontier'])
W = t['worst']
p90 = t['all']['p90_pct']
tail = [w for w in W if w['error_pct'] >= p90]
meas = set(tuple(r.split(',')[k0:k1]) for r in rows)
def kv(w): return dict(x.split('=', 1) for x in w['key'].split())
numeric = [n for n in names if n in t['schema'] and '(cat)' not in t['schema'].split(n + '(', 1)[1][:4] and n + '(cat)' not in t['schema']]
full = [tuple(r.split(',')[k0:k1]) for r in open(os.path.join(a.full_root, a.system, 'aiconf', '0.1.0', a.table + '.txt')).read().splitlines()[1:] if r]
def line_info(key, ax):
    i = names.index(ax)
    same = lambda k: all(k[j] == key[j] for j in range(len(names)) if j != i)
    fv = sorted(float(k[i]) for k in full if same(k)); mv = sorted(float(k[i]) for k in meas if same(k))
    x = float(key[i])
    if len(fv) < 2: return None
    st = 'none' if not mv else ('in' if mv[0] <= x <= mv[-1] else ('above' if x > mv[-1] else 'below'))
    return st, len(mv), len(fv), (mv[0], mv[-1]) if mv else None, (fv[0], fv[-1])
print(f'tail (>= p90 {p90:.1f}%): {len(tail)} points, frontier (extrapolated) {sum(w["frontier"] for w in tail)}')
c = collections.Counter()
for ax in numeric:
    for w in tail:
        d_ = kv(w); key = tuple(d_[n] for n in names)
        li = line_info(key, ax)
        if li: c[(ax, li[0])] += 1
print('tail points by their line along each axis (state of the measured part: in range / beyond / no point):')
for ax in numeric: print(' ', ax, {s: c[(ax, s)] for s in ('in', 'above', 'below', 'none') if c[(ax, s)]})
for ax in numeric:
    print(' ', ax, 'value histogram of tail:', sorted(collections.Counter(kv(w)[ax] for w in tail).items(), key=lambda x: float(x[0])))
cats = [n for n in names if n not in numeric]
for cn in cats: print(cn, collections.Counter(kv(w)[cn] for w in tail))
print('over-predicted (pred > meas) in tail:', sum(w['predicted_ms'] > w['measured_ms'] for w in tail), 'of', len(tail))
for w in W[:a.show]:
    d_ = kv(w); key = tuple(d_[n] for n in names)
    info = {ax: line_info(key, ax) for ax in numeric}
    print(f"{w['error_pct']:8.1f}% fr={int(w['frontier'])} " + ' '.join(f"{n}={d_[n]}" for n in names if n in numeric or len(set(k[names.index(n)] for k in full)) > 1) + f" meas={w['measured_ms']:.4g} pred={w['predicted_ms']:.4g} | " +
          ' '.join(f"{ax}:{v[0]}{v[1]}/{v[2]}{'' if v[3] is None else ' [%g..%g]' % v[3]}" for ax, v in info.items() if v))
