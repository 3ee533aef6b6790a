"""Segmentation evaluation time on about 1,000 HC18-sized frames at 64 px: loading (PNG decode, outline filling,
letterboxing) and each protocol's training and test, printed; nothing is asserted.

    python benchmarks/bench_segmentation.py                        # frozen protocol, ../shared/data/hc18 x 4
    python benchmarks/bench_segmentation.py --protocols frozen finetune --n 1000

The HC18 sample holds 276 images; the benchmark lists each image several times under distinct scan ids to reach `--n`
frames. The copies may land on both sides of the split, so the Dice it prints is not a score: only the times count.
"""
import argparse, time, warnings
import pandas as pd, torch
from awcl.data.table import read_frames, shared_data
from awcl.tasks.segment import run_segmentation, seg_frames, load_seg_data

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default=None, help='an HC18 folder (default: the shared sample)')
    ap.add_argument('--n', type=int, default=1000, help='frames to evaluate on')
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--protocols', nargs='+', default=['frozen'])
    a = ap.parse_args()
    warnings.filterwarnings('ignore')
    hc = read_frames(a.data or shared_data('hc18'))
    k = -(-a.n // len(hc))
    big = pd.concat([hc.assign(scan=hc.scan + f'-{i}') for i in range(k)], ignore_index=True).iloc[:a.n]
    big.attrs = hc.attrs
    print(f'{len(big)} frames ({len(hc)} HC18 images x {k}), {a.size} px, torch {torch.__version__}, {torch.get_num_threads()} threads')
    t0 = time.perf_counter(); load_seg_data(seg_frames(big), a.size); load = time.perf_counter() - t0
    print(f'loading: {load:.1f} s ({len(big) / load:.0f} frames/s)')
    for p in a.protocols:
        t0 = time.perf_counter(); r = run_segmentation(big, protocol=p, size=a.size, seed=0, progress=True)
        print(f"{p}: whole evaluation {time.perf_counter() - t0:.0f} s ({r['steps']} steps of {r['bs']}, "
              f"{r['n_train']} train / {r['n_test']} test frames)")

if __name__ == '__main__': main()
