#!/usr/bin/env python3
"""Tail points (>= p90) of an adaptive prefix: interior vs extrapolated, and how many sit on a line (along
some numeric axis) measured at <= 3 points spread over the whole line, the kind the close-lines rule
leaves behind when a round's closing cases start lines of their own (those are not closed).
usage: sparse_lines.py <aiconf> <adaptive-table> <full-root> <system> <table> <N> [--model M]"""
import argparse, collections, json, os, shutil, subprocess, tempfile
ap = argparse.ArgumentParser()
for a in ('aiconf', 'adaptive', 'full_root', 'system', 'table'): ap.add_argument(a)
ap.add_argument('n', type=int); ap.add_argument('--model')
a = ap.parse_args()
lines = open(a.adaptive).read().splitlines()
header, rows = lines[0], [l for l in lines[1:] if l][:a.n]
cols = header.split(','); k0, k1 = cols.index('kernel_source') + 1, cols.index('latency'); names = cols[k0:k1]
with tempfile.TemporaryDirectory() as tmp:
    d = os.path.join(tmp, a.system, 'aiconf', '0.1.0'); os.makedirs(d)
    shutil.copytree(os.path.join(a.full_root, 'systems'), os.path.join(tmp, 'systems'))
    open(os.path.join(d, a.table + '.txt'), 'w').write('\n'.join([header] + rows) + '\n')
    t = json.loads(subprocess.run([a.aiconf, 'db', 'holdout', tmp, a.full_root, '--system', a.system, '--table', a.table,
        '--backend', 'aiconf', '--json', '--worst', '100000'] + (['--model', a.model] if a.model else []),
        check=True, capture_output=True, text=True).stdout)['systems'][0]['tables'][0]
numeric = [n for n in names if n + '(cat)' not in t['schema']]
full = [tuple(r.split(',')[k0:k1]) for r in open(os.path.join(a.full_root, a.system, 'aiconf', '0.1.0', a.table + '.txt')).read().splitlines()[1:] if r]
meas = set(tuple(r.split(',')[k0:k1]) for r in rows)
p90 = t['all']['p90_pct']; W = t['worst']
def kv(w): d_ = dict(x.split('=', 1) for x in w['key'].split()); return tuple(d_[n] for n in names)
def sparse_on(key):
    """Axes along which key's line (>= 6 values) has 1-3 measured points whose span covers the key."""
    out = []
    for ax in numeric:
        i = names.index(ax)
        same = lambda k: all(k[j] == key[j] for j in range(len(names)) if j != i)
        fv = [k for k in full if same(k)]; mv = sorted(float(k[i]) for k in meas if same(k))
        if len(fv) >= 6 and 1 <= len(mv) <= 3: out.append(ax)
    return out
for label, pts in (('tail (>= p90 %.1f%%)' % p90, [w for w in W if w['error_pct'] >= p90]), ('rest', [w for w in W if w['error_pct'] < p90])):
    c = collections.Counter(); fr = sum(w['frontier'] for w in pts); any_sparse = 0
    for w in pts:
        s = sparse_on(kv(w)); any_sparse += bool(s)
        for ax in s: c[ax] += 1
    print(f'{label}: {len(pts)} points, extrapolated {int(fr)}, on a line with 1-3 measured of >= 6: {any_sparse} '
          f'({any_sparse / max(1, len(pts)):.0%}), by axis {dict(c)}; over-predicted {sum(w["predicted_ms"] > w["measured_ms"] for w in pts)}')
