"""Kill a real `awcl-pretrain` process anywhere with SIGKILL, restart it with `--resume`, and get exactly the
uninterrupted run's encoder bytes and metrics; same seed, same bytes; provenance; resume refusing other settings;
checkpoints that carry pickled code refused."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch
from conftest import run_cli, assert_one_line_error, cache_env

SCRIPT = Path(__file__).parent/'scripts'/'killed_pretrain.py'
RESULT = ('loss', 'valid_loss', 'z_std', 'epochs', 'status')   # what a run computes (timings excepted)
# Every preset at a CPU size: `cpu` runs the one-cycle schedule (its learning rate depends on every step and on
# `epochs`), `smoke` and `paper` the constant one (paper: L2 weight decay, the official settings).
PRESETS = {'cpu': ['--preset', 'cpu', '--size', 32, '--bs', 8, '--epochs', 3],
           'smoke': ['--preset', 'smoke', '--bs', 8, '--epochs', 2],
           'paper': ['--preset', 'paper', '--size', 32, '--bs', 8, '--epochs', 2]}
EVERY = 4   # step checkpoints: a kill loses at most the steps since the last one


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    r = run_cli('awcl-synth', '--out', root/'data', '--n-scans', 8, '--frames-per-scan', 10, '--size', 48, '--seed', 2, '--iid')
    assert r.returncode == 0, r.stderr
    env = cache_env(root/'cache')
    return root, env


def common(setup, preset, out):
    root, _ = setup
    return [*PRESETS[preset], '--data', root/'data', '--device', 'cpu', '--checkpoint-every', EVERY, '--out', out]


def finished(setup, preset, out, *extra, env=None):
    r = run_cli('awcl-pretrain', *common(setup, preset, out), *extra, env=env or setup[1], timeout=600)
    assert r.returncode == 0, r.stderr
    return r


def killed(setup, preset, out, point, n, *extra, env=None):
    "Run awcl-pretrain and SIGKILL it at `point` (see tests/scripts/killed_pretrain.py)."
    r = subprocess.run([sys.executable, SCRIPT, point, str(n), '--', *map(str, common(setup, preset, out)), *extra],
                       capture_output=True, text=True, env=env or setup[1], timeout=600)
    assert r.returncode == -signal.SIGKILL, (r.returncode, r.stderr[-2000:])


def result(out):
    m = json.loads((out/'metrics.json').read_text())
    return {k: m[k] for k in RESULT}, (out/'encoder.pth').read_bytes()


def checkpoint(out):
    st = torch.load(out/'checkpoint.pth', map_location='cpu', weights_only=True)
    return st['epoch'], st['batches']


@pytest.fixture(scope='module')
def reference(setup):
    "Uninterrupted runs of each preset."
    root, _ = setup
    return {p: result((finished(setup, p, root/f'ref-{p}'), root/f'ref-{p}')[1]) for p in PRESETS}


def test_same_seed_same_bytes_and_provenance(setup, reference):
    root, _ = setup
    finished(setup, 'cpu', root/'again')
    assert result(root/'again') == reference['cpu']     # metrics and encoder bytes
    rec = json.loads((root/'again'/'config.json').read_text())
    assert rec['seed'] == 0 and rec['schedule'] == 'one_cycle' and rec['epochs'] == 3 and len(rec['frames_key']) == 16
    p = rec['provenance']
    assert p['torch_build'] == torch.__version__ and p['packages']['torch'] and p['packages']['awcl'] and p['python'] and p['time']
    assert 'git_commit' in p and 'awcl-pretrain' in p['argv'][0]
    # another seed, other bytes: the comparison above can fail
    finished(setup, 'cpu', root/'seed1', '--seed', 1)
    assert result(root/'seed1')[1] != reference['cpu'][1]


def writes(setup, epochs):
    "The `(epoch, batches)` of every checkpoint a run writes, by global step (batches None: the epoch's end)."
    from awcl.data.table import read_frames
    from awcl.pretrain.run import split_frames
    from awcl.pretrain.sampler import ShuffledBatchSampler
    nb = len(ShuffledBatchSampler(len(split_frames(read_frames(setup[0]/'data'))[0]), 8))   # training steps per epoch at bs 8
    return {e * nb + k: (e, None if k == nb else k) for e in range(epochs) for k in range(1, nb + 1)
            if k == nb or (e * nb + k) % EVERY == 0}


def test_kill_anywhere_then_resume_is_exact(setup, reference, tmp_path):
    "One run killed four times (mid-cache-build, mid-epoch, mid-checkpoint-write, mid-epoch), one-cycle schedule; each restart passes --resume."
    env = cache_env(tmp_path/'cache')   # its own cache, so the first kill lands in its build
    out, w = tmp_path/'run', writes(setup, 3)
    steps = sorted(w)
    killed(setup, 'cpu', out, 'cache-build', 1, env=env)      # mid-cache-build: no checkpoint, no finished cache
    assert not (out/'checkpoint.pth').exists()
    assert not list((tmp_path/'cache'/'frames').glob('*/meta.json'))
    killed(setup, 'cpu', out, 'step', 5, '--resume', env=env)  # mid-epoch 1, a step after a checkpoint
    done = max(g for g in steps if g < 5)                     # the step killed in never reaches its checkpoint
    assert checkpoint(out) == w[done] == (0, 4)
    killed(setup, 'cpu', out, 'checkpoint-write', 2, '--resume', env=env)   # its 2nd checkpoint torn halfway
    first = steps[steps.index(done) + 1]
    assert checkpoint(out) == w[first]                        # the 1st one is whole and is the one a resume reads
    assert list(out.glob('.checkpoint.pth.*.tmp'))            # the torn temporary file: never read as a checkpoint
    killed(setup, 'cpu', out, 'step', 5, '--resume', env=env)  # mid-epoch again
    r = finished(setup, 'cpu', out, '--resume', env=env)
    assert result(out) == reference['cpu']
    assert 'final loss' in r.stdout and not list(out.glob('.*.tmp'))   # the restart cleared the torn file


@pytest.mark.parametrize('preset', ['smoke', 'paper'])
def test_kill_mid_epoch_under_each_constant_preset(setup, reference, tmp_path, preset):
    out = tmp_path/'run'
    killed(setup, preset, out, 'step', 7)
    finished(setup, preset, out, '--resume')
    assert result(out) == reference[preset]


def test_sigkill_at_an_arbitrary_moment(setup, reference, tmp_path):
    "A kill from outside, whenever the first checkpoint has appeared: the moment is not chosen, the result is the same."
    out = tmp_path/'run'
    from conftest import exe
    p = subprocess.Popen([exe('awcl-pretrain'), *map(str, common(setup, 'cpu', out))], env=setup[1],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not (out/'checkpoint.pth').exists() and p.poll() is None and time.time() - t0 < 300: time.sleep(0.05)
    time.sleep(0.3)
    p.send_signal(signal.SIGKILL); p.wait()
    assert p.returncode == -signal.SIGKILL and not (out/'metrics.json').exists()   # killed mid-run, not after it
    finished(setup, 'cpu', out, '--resume')
    assert result(out) == reference['cpu']


def test_resume_refuses_other_settings(setup, reference):
    root, env = setup
    args = common(setup, 'cpu', root/'ref-cpu')
    r = run_cli('awcl-pretrain', *args, '--epochs', 4, '--resume', env=env)   # one-cycle: the curve depends on epochs
    assert_one_line_error(r, 'awcl-pretrain', 'other settings', 'epochs (checkpoint: 3, now: 4)')
    r = run_cli('awcl-pretrain', *args, '--lr', 0.1, '--resume', env=env)
    assert_one_line_error(r, 'awcl-pretrain', 'lr (checkpoint: 0.0005, now: 0.1)')
    assert result(root/'ref-cpu') == reference['cpu']   # a refused resume changes nothing


def test_resume_refuses_changed_files(setup, tmp_path):
    "Same rows, but an image file rewritten since the checkpoint: the resume is refused naming the files."
    import shutil
    root, env = setup
    data = tmp_path/'data'; shutil.copytree(root/'data', data)
    args = ['--preset', 'smoke', '--bs', 8, '--epochs', 1, '--data', data, '--device', 'cpu', '--out', tmp_path/'run']
    assert run_cli('awcl-pretrain', *args, env=env).returncode == 0
    img = sorted((data/'images').glob('*.png'))[0]
    os.utime(img, ns=(img.stat().st_atime_ns, img.stat().st_mtime_ns + 10**9))   # touched: the bytes may differ now
    r = run_cli('awcl-pretrain', *args[:5], 2, *args[6:], '--resume', env=env)
    assert_one_line_error(r, 'awcl-pretrain', 'files: the image files differ')
    assert 'frames:' not in r.stderr   # the rows are the same


class Payload:
    "Unpickling this runs code: here it only writes a marker file."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (Path.write_text, (Path(self.marker), 'code ran'))


def test_pickle_bearing_checkpoints_are_refused(setup, tmp_path):
    root, env = setup
    marker = tmp_path/'pwned'
    run = tmp_path/'run'; run.mkdir()
    evil = dict(model={}, config={}, payload=Payload(marker))
    torch.save(evil, run/'checkpoint.pth'); torch.save(evil, tmp_path/'evil.pth')
    r = run_cli('awcl-pretrain', *common(setup, 'smoke', run), '--resume', env=env)
    assert_one_line_error(r, 'awcl-pretrain', 'cannot load', 'checkpoint.pth', 'safely')
    r = run_cli('awcl-pretrain', *common(setup, 'smoke', tmp_path/'r2'), '--init', tmp_path/'evil.pth', env=env)
    assert_one_line_error(r, 'awcl-pretrain', 'evil.pth')
    r = run_cli('awcl-eval', '--task', 'planes', '--protocol', 'linear', '--encoder', tmp_path/'evil.pth',
                '--data', root/'data', '--out', tmp_path/'e', env=env)
    assert_one_line_error(r, 'awcl-eval', 'evil.pth')
    assert not marker.exists()   # weights_only=True: the payload never ran
