"""Time and peak extra memory of `anatomy_partners` (and one epoch of each batch sampler) at video scale.

A realistic frame table: 14 fine classes, 10,000 scans, 30 % unlabelled frames; `scan` and `fine` as strings
(what the readers produce) and as pandas categoricals (the cheap option for very large tables).
Peak extra memory is `tracemalloc`'s peak during the call (numpy and pandas buffers are traced), over what was
allocated before it. Usage: `python benchmarks/bench_sampler.py [n_rows ...]` (default 1,000,000 and 10,000,000).
"""
import sys, time, tracemalloc
import numpy as np, pandas as pd
from awcl.pretrain.sampler import anatomy_partners, scan_partners, ShuffledBatchSampler, ClassBalancedBatchSampler

FINE = ['3VT', '4CH', 'ACP', 'BG', 'FLP', 'HCP', 'KIDNEYS_CORONAL', 'LVOT', 'NOSE_LIPS', 'PROFILE', 'RVOT', 'SOB',
        'SPINE_COR', 'SPINE_SAG']

def table(n, n_scans=10_000, unlabelled=.3, seed=0, categorical=False):
    g = np.random.default_rng(seed)
    scans = np.array([f'scan{i:05d}' for i in range(n_scans)], dtype=object)
    names = np.array(FINE, dtype=object)
    scan = np.sort(g.integers(0, n_scans, n))                                   # frames of a scan are contiguous
    fine = names[g.choice(len(FINE), n, p=g.dirichlet(np.ones(len(FINE))))]
    fine[g.random(n) < unlabelled] = None
    df = pd.DataFrame({'scan': scans[scan], 'fine': fine})
    return df.astype('category') if categorical else df

def measure(f):
    "Result, seconds (untraced run) and peak extra bytes (a second, traced run: tracing slows Python code)."
    t = time.perf_counter(); out = f(); dt = time.perf_counter() - t
    del out
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = f()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return out, dt, peak

def main(sizes):
    print(f'{"rows":>11} {"columns":>11} {"call":>31} {"seconds":>8} {"peak extra MB":>14} {"bytes/row":>10} {"kept":>6}')
    for n in sizes:
        for categorical in (False, True):
            df = table(n, categorical=categorical)
            kind = 'categorical' if categorical else 'str'
            calls = [(f'scope={s}', lambda s=s: anatomy_partners(df, 'fine', ratio=.5, scope=s, seed=0, epoch=1))
                     for s in ('any', 'other', 'same')]
            calls.append(('scan_partners', lambda: scan_partners(df, seed=0, epoch=1)))
            for name, f in calls:
                p, dt, peak = measure(f)
                print(f'{n:>11,} {kind:>11} {name:>31} {dt:>8.2f} {peak / 2**20:>14.0f} {peak / n:>10.1f} {p.kept.mean():>6.3f}')
            del df
        labels = anatomy_partners(table(n, categorical=True), ratio=.5).labels
        for name, s in (('ShuffledBatchSampler', ShuffledBatchSampler(n, 256)),
                        ('ClassBalancedBatchSampler', ClassBalancedBatchSampler(labels, 256))):
            _, dt, peak = measure(lambda: sum(1 for _ in s))
            print(f'{n:>11,} {"":>11} {name + " epoch":>31} {dt:>8.2f} {peak / 2**20:>14.0f} {peak / n:>10.1f}'
                  f'   ({len(s):,} batches of 256)')

if __name__ == '__main__':
    main([int(a.replace('_', '')) for a in sys.argv[1:]] or [1_000_000, 10_000_000])
