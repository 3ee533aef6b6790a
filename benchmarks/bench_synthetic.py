"""Speed of the synthetic phantoms: frames per second in memory and written to disk (PNG + frames.csv).

Usage: python benchmarks/bench_synthetic.py [--frames 1000] [--size 128] [--repeats 3]
Prints the best of `repeats` runs for each (one process, one core): frames per wall-clock second and per CPU second
of this process (the latter is less disturbed by other work on a shared machine).
"""
import argparse, tempfile, time
from awcl.core import rng
from awcl.data.scenes import FINE_TO_COARSE, scan_style, phantom_frame
from awcl.data.phantoms import make_phantoms

def in_memory(n_scans, frames_per_scan, size):
    fines = list(FINE_TO_COARSE)
    for i in range(n_scans):
        style = scan_style(0, i)
        for j in range(frames_per_scan): phantom_frame(fines[(i + j) % len(fines)], style, rng(0, 'frame', i, j), size)

def to_disk(n_scans, frames_per_scan, size):
    with tempfile.TemporaryDirectory() as d: make_phantoms(d, n_scans=n_scans, frames_per_scan=frames_per_scan, size=size)

def best(f, repeats, *args):
    "Best wall-clock and CPU seconds of `repeats` calls of `f(*args)`."
    ts, cs = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time(); f(*args)
        ts.append(time.perf_counter() - t0); cs.append(time.process_time() - c0)
    return min(ts), min(cs)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--frames', type=int, default=1000, help='frames per run (40 scans)')
    p.add_argument('--size', type=int, default=128, help='image side in pixels')
    p.add_argument('--repeats', type=int, default=3, help='runs; the best is reported')
    a = p.parse_args()
    n_scans = 40
    fps = max(1, a.frames // n_scans)
    n = n_scans*fps
    for name, f in (('in memory', in_memory), ('with PNG writing', to_disk)):
        t, c = best(f, a.repeats, n_scans, fps, a.size)
        print(f'{name:>16}: {n} frames at {a.size} px in {t:.2f} s = {n/t:.0f} frames/s ({n/c:.0f} per CPU second)')
