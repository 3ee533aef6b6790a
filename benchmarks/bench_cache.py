"""Frame cache: build rate (decoding in worker processes), read rate through awcl's one loader, and memory at scale.

    OMP_NUM_THREADS=1 python benchmarks/bench_cache.py                  # build + read on 3,000 phantom PNGs at 64 px
    OMP_NUM_THREADS=1 python benchmarks/bench_cache.py --frames 1000000 # + a 1M-frame cache built from DICOM cine loops (32 px)

Read rate: one epoch of shuffled batches (`ShuffledBatchSampler`, batch 256) through `FrameData` + `Loader`, the path
pretraining and every task use, after the cache's pages are warm. Memory: resident set size of this process while an
1M-frame cache is built (by `frame_cache`, from 100 DICOM cine loops) and an epoch of it is read, split into anonymous memory (what the process allocated) and file-backed pages
(the memory map's pages, which the kernel evicts under pressure), from /proc/self/status.
"""
import argparse, json, os, tempfile, time
from pathlib import Path
import numpy as np, torch
from awcl.data.cache import frame_cache, FrameData, Loader
from awcl.data.table import read_frames
from awcl.pretrain.sampler import ShuffledBatchSampler


def rss() -> dict:
    "Resident memory of this process in MB: total, anonymous, file-backed."
    f = {l.split(':')[0]: int(l.split()[1]) for l in Path('/proc/self/status').read_text().splitlines() if l.startswith(('VmRSS', 'RssAnon', 'RssFile'))}
    return dict(rss=f['VmRSS'] / 1024, anon=f['RssAnon'] / 1024, file=f['RssFile'] / 1024)


def read_epoch(cache, bs=256, seed=0, limit=None):
    "Frames/s of one shuffled epoch through FrameData + Loader; peak memory seen."
    dl = Loader(FrameData(cache.frames, (np.zeros(len(cache), np.int64),)), list(ShuffledBatchSampler(len(cache), bs, seed=seed)))
    n, peak, t0 = 0, rss(), time.perf_counter()
    for k, (x, y) in enumerate(dl):
        n += len(x)
        if k % 200 == 0:
            r = rss(); peak = {key: max(peak[key], r[key]) for key in r}
        if limit and n >= limit: break
    return n / (time.perf_counter() - t0), peak


def dicom_folder(folder:Path, n:int, size:int, per_file:int=10_000) -> Path:
    "`n` synthetic frames as multi-frame DICOM cine loops of `per_file` frames (the cheapest source to write and decode)."
    from awcl.data.video import write_dicom
    folder.mkdir(parents=True, exist_ok=True)
    g = np.random.default_rng(0)
    base = g.integers(0, 256, (per_file, size, size), dtype=np.uint8)
    for k, i in enumerate(range(0, n, per_file)):
        write_dicom(folder/f'scan{k:04d}.dcm', base[:min(per_file, n - i)] ^ np.uint8(k % 256))
    return folder


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--pngs', type=int, default=3000, help='phantom PNG frames to build a cache from')
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--frames', type=int, default=0, help='also read an epoch of a synthetic cache of this many frames')
    ap.add_argument('--big-size', type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(1)
    print(f'machine: {os.cpu_count()} cores, torch {torch.__version__}')
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        from awcl.data.phantoms import make_phantoms
        from awcl.data.table import read_frames
        scans = max(1, a.pngs // 30)
        t = time.perf_counter(); make_phantoms(d/'ph', n_scans=scans, frames_per_scan=30, size=128, seed=0); gen = time.perf_counter() - t
        df = read_frames(d/'ph')
        print(f'{len(df)} phantom PNGs (128 px) generated in {gen:.1f} s')
        for w in (1, 2):
            t = time.perf_counter(); c = frame_cache(df, a.size, workers=w, root=d/f'cache{w}'); s = time.perf_counter() - t
            print(f'build  {a.size} px, {w} worker(s): {len(df) / s:8.0f} frames/s ({s:.2f} s, {c.frames.nbytes / 2**20:.1f} MB)')
        t = time.perf_counter(); frame_cache(df, a.size, root=d/'cache1'); s = time.perf_counter() - t
        print(f'open   an existing cache (content key over {len(df)} files): {s * 1000:.0f} ms')
        read_epoch(c)                                                   # warm the pages
        rate, _ = read_epoch(c)
        print(f'read   {a.size} px through FrameData + Loader, shuffled batches of 256: {rate:8.0f} frames/s')
        if a.frames:
            t = time.perf_counter(); dicom_folder(d/'big', a.frames, a.big_size); s = time.perf_counter() - t
            vt = read_frames(d/'big', every=1)
            print(f'wrote  {a.frames:,} frames of {a.big_size} px as {vt.scan.nunique()} DICOM cine loops in {s:.1f} s')
            t = time.perf_counter(); big = frame_cache(vt, a.big_size, root=d/'bigcache', progress=True); s = time.perf_counter() - t
            print(f'build  {len(big):,} frames at {a.big_size} px ({big.frames.nbytes / 2**30:.2f} GB), {big.meta["workers"]} workers: '
                  f'{len(big) / s:8.0f} frames/s ({s:.1f} s); memory after: {rss()["rss"]:.0f} MB')
            del vt
            rate, peak = read_epoch(big)
            print(f'read   one epoch of {len(big):,} frames: {rate:8.0f} frames/s; peak RSS {peak["rss"]:.0f} MB '
                  f'(anonymous {peak["anon"]:.0f} MB, file-backed map pages {peak["file"]:.0f} MB, reclaimable)')


if __name__ == '__main__': main()
