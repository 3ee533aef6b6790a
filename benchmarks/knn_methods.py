"""Pretrain each method on the phantom default and score frozen features by k-NN (k=20, cosine).

Prints one row per method (mean +- std over seeds) for: all 9 fine classes, the 5 coarse anatomies, and the 3 head
planes (the within-anatomy fine-grained test). Features: encoder output at the pretraining size, BatchNorm statistics
re-estimated on un-augmented training frames (awcl's fixed protocol, for every encoder alike).

    python benchmarks/knn_methods.py --seeds 0 1 2 --methods random simclr awcl-fine --out runs/knn
"""
import argparse, json, time
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd
from awcl.pretrain.run import preset_config, pretrain, split_frames
from awcl.data.phantoms import default_phantoms
from awcl.data.cache import load_frames
from awcl.pretrain.models import create_encoder, load_encoder
from awcl.tasks.protocols import extract_features, knn_eval

SPECS = {'random': None, 'simclr': dict(method='simclr'), 'scan': dict(method='scan'),
         'awcl-coarse': dict(method='awcl', granularity='coarse'), 'awcl-fine': dict(method='awcl', granularity='fine'),
         'supcon': dict(method='supcon')}

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--methods', nargs='+', default=['random', 'simclr', 'awcl-fine'], choices=list(SPECS))
    ap.add_argument('--seeds', nargs='+', type=int, default=[0])
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--epochs', type=int, default=None)
    ap.add_argument('--bs', type=int, default=None)
    ap.add_argument('--lr', type=float, default=None)
    ap.add_argument('--temperature', type=float, default=None)
    ap.add_argument('--k', type=int, default=20)
    ap.add_argument('--out', default='runs/knn')
    a = ap.parse_args()
    df = default_phantoms()
    test = df[df.split.eq('test')].reset_index(drop=True)
    train, _ = split_frames(df)
    rows, frames = [], {}   # frames per size: loaded once, shared by every method and seed
    for seed in a.seeds:
        for name in a.methods:
            cfg = preset_config(a.preset, seed=seed, epochs=a.epochs, bs=a.bs, lr=a.lr, temperature=a.temperature, **(SPECS[name] or {}))
            t0 = time.time()
            if SPECS[name] is None: enc, ips = create_encoder(cfg.arch, 'random', seed), float('nan')
            else:
                m = pretrain(df, cfg, Path(a.out)/f'{name}-s{seed}')
                enc, ips = load_encoder(Path(a.out)/f'{name}-s{seed}'/'encoder.pth', cfg.arch), m['images_per_s']
            if cfg.size not in frames: frames[cfg.size] = (load_frames(train, cfg.size)[0], load_frames(test, cfg.size)[0])
            trf, tef = frames[cfg.size]
            ftr, fte = extract_features(enc, trf), extract_features(enc, tef, bn_frames=trf)
            r = dict(method=name, seed=seed, images_per_s=ips, seconds=time.time() - t0)
            for task, col, sel in [('fine', 'fine', None), ('coarse', 'coarse', None), ('head', 'fine', 'head')]:
                itr = np.ones(len(train), bool) if sel is None else train.coarse.eq(sel).values
                ite = np.ones(len(test), bool) if sel is None else test.coarse.eq(sel).values
                r[f'knn_{task}'] = knn_eval(ftr[itr], train[col][itr], fte[ite], test[col][ite], k=a.k)['accuracy']
            rows.append(r); print(json.dumps(r), flush=True)
    res = pd.DataFrame(rows)
    Path(a.out).mkdir(parents=True, exist_ok=True); res.to_csv(Path(a.out)/'knn.csv', index=False)
    cols = ['knn_fine', 'knn_coarse', 'knn_head']
    agg = res.groupby('method', sort=False)[cols].agg(['mean', 'std'])
    print(f'\n{len(train)} training frames, {len(test)} test frames, preset {a.preset}, seeds {a.seeds}, k={a.k}')
    print('method        ' + ''.join(f'{c:>18}' for c in cols))
    for meth, r in agg.iterrows():
        print(f'{meth:<14}' + ''.join(f'{r[(c, "mean")]:>11.3f} +- {0 if np.isnan(r[(c, "std")]) else r[(c, "std")]:.3f}' for c in cols))

if __name__ == '__main__': main()
