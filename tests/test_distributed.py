"""Data-parallel pretraining on two CPU processes (gloo), launched with torchrun as a user would.

1. One step: loss and gradients of the distributed step equal the single-process step on the same global batch
   (`tests/scripts/ddp_step.py`), and gathering without gradients, which gives the right loss, is caught.
2. A whole `awcl-pretrain` run under `torchrun --nproc_per_node 2` completes, writes one run folder (rank 0), and
   records its world size.
"""
import json, os, subprocess, sys
from pathlib import Path
import pytest
from conftest import exe

HERE = Path(__file__).parent


def torchrun(*args, timeout=600, **env):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'PYTHONWARNINGS': 'ignore', **env}
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def test_distributed_step_equals_single_process(tmp_path):
    out = tmp_path/'step.json'
    r = torchrun(HERE/'scripts'/'ddp_step.py', out)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res['world'] == 2
    assert abs(res['loss'] - res['loss_ref']) < 1e-5, res
    assert res['grad_diff'] < 1e-5 * max(1.0, res['grad_scale']), res
    # gathering without gradients: the same loss, wrong gradients
    assert abs(res['loss_bad'] - res['loss_ref']) < 1e-5, res
    assert res['grad_diff_bad'] > 100 * max(res['grad_diff'], 1e-7), res


@pytest.fixture(scope='module')
def phantoms(phantom_set):
    "8 scans of 12 frames, split by scan."
    return phantom_set(8, 12)


def test_pretrain_under_torchrun(phantoms, tmp_path):
    out = tmp_path/'run'
    r = torchrun(exe('awcl-pretrain'), '--data', phantoms, '--preset', 'smoke', '--bs', '8', '--epochs', '2',
                 '--out', out, '--device', 'cpu', '--checkpoint-every', '3', AWCL_CACHE=str(tmp_path/'cache'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ['checkpoint.pth', 'config.json', 'encoder.pth', 'metrics.json']
    cfg, m = json.loads((out/'config.json').read_text()), json.loads((out/'metrics.json').read_text())
    assert cfg['world_size'] == 2 and m['world_size'] == 2 and m['epochs'] == 2
    assert 'x 2 processes' in r.stdout and r.stdout.count('awcl-pretrain:') == 1, r.stdout   # rank 0 reports, once
    assert len(list((tmp_path/'cache'/'frames').iterdir())) == 1                            # one frame cache, built once
