"""Run the `awcl-pretrain` command and SIGKILL it at a chosen point (tests/test_resume.py).

    python killed_pretrain.py POINT N -- AWCL-PRETRAIN ARGS...

POINT is where the process dies, with no chance to clean up (SIGKILL cannot be caught):
  step              right after its N-th optimiser step (mid-epoch unless N ends one)
  checkpoint-write  halfway through writing its N-th checkpoint.pth (half the bytes on disk, then death)
  cache-build       after N decoding jobs of the frame cache build (the cache is not finished)
"""
import os, signal, sys

point, n = sys.argv[1], int(sys.argv[2])
assert sys.argv[3] == '--', 'usage: killed_pretrain.py POINT N -- ARGS...'
sys.argv = ['awcl-pretrain', *sys.argv[4:]]
MAIN = os.getpid()


def die():
    sys.stdout.flush(); sys.stderr.flush()
    os.kill(MAIN, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)   # a cache worker kills the main process, then itself


from awcl.data import cache                              # noqa: E402
from awcl.pretrain import checkpoints, run               # noqa: E402
count = [0]

if point == 'step':
    after_batch = checkpoints.RunStats.after_batch
    def counting(self):
        after_batch(self)
        if self.training:
            count[0] += 1
            if count[0] == n: die()
    checkpoints.RunStats.after_batch = counting
elif point == 'checkpoint-write':
    from pathlib import Path
    write_bytes = Path.write_bytes
    def torn_write(self, data):   # awcl writes a checkpoint to a temporary file, then renames it over checkpoint.pth
        if self.name.startswith('.checkpoint.pth.'):
            count[0] += 1
            if count[0] == n:
                with open(self, 'wb') as fh:
                    fh.write(data[:len(data) // 2]); fh.flush(); os.fsync(fh.fileno())
                die()
        return write_bytes(self, data)
    Path.write_bytes = torn_write
elif point == 'cache-build':
    fill = cache._fill
    def fill_then_die(*args, **kwargs):
        out = fill(*args, **kwargs)
        count[0] += 1
        if count[0] == n: die()
        return out
    cache._fill = fill_then_die
else: sys.exit(f'unknown point {point!r}')

run.awcl_pretrain()
