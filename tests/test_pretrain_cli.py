"Tests of the installed `awcl-synth` and `awcl-pretrain` commands: a smoke run end to end, and bad input."
import json
import pytest, torch, torchvision
from conftest import run_cli, assert_one_line_error, cache_env
from awcl.data.table import read_frames


@pytest.fixture(scope='module')
def phantoms(tmp_path_factory):
    d = tmp_path_factory.mktemp('ph')/'data'
    r = run_cli('awcl-synth', '--out', d, '--n-scans', 6, '--frames-per-scan', 10, '--size', 48, '--seed', 1, '--iid')
    assert r.returncode == 0, r.stderr
    assert '60 frames' in r.stdout
    return d


def test_synth_writes_a_readable_dataset(phantoms):
    df = read_frames(phantoms)
    assert len(df) == 60 and df.scan.nunique() == 6
    r = run_cli('awcl-data', phantoms, '--json')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['n_frames'] == 60


def test_synth_bad_input(tmp_path):
    assert_one_line_error(run_cli('awcl-synth', '--out', tmp_path/'x', '--n-scans', 0), 'awcl-synth', 'n_scans')
    (tmp_path/'file').write_text('x')
    assert_one_line_error(run_cli('awcl-synth', '--out', tmp_path/'file'), 'awcl-synth', 'file')


def test_pretrain_smoke_run_and_resume(phantoms, tmp_path):
    out = tmp_path/'run'
    args = ['--data', phantoms, '--preset', 'smoke', '--bs', 8, '--epochs', 1, '--device', 'cpu', '--out', out]
    r = run_cli('awcl-pretrain', *args)
    assert r.returncode == 0, r.stderr
    assert {p.name for p in out.iterdir()} == {'encoder.pth', 'checkpoint.pth', 'config.json', 'metrics.json'}
    m = json.loads((out/'metrics.json').read_text())
    assert set(m) >= {'loss', 'images_per_s', 'wall_seconds', 'device'} and len(m['loss']) == 1
    assert m['loss'][0] > 0 and m['images_per_s'] > 0
    assert json.loads((out/'config.json').read_text())['method'] == 'awcl'
    enc = torchvision.models.resnet18(); enc.fc = torch.nn.Identity()
    enc.load_state_dict(torch.load(out/'encoder.pth', weights_only=True), strict=True)
    # resuming with more epochs continues from the checkpoint: one more epoch, the first one's loss kept
    r = run_cli('awcl-pretrain', *args[:-4], '--epochs', 2, '--device', 'cpu', '--out', out, '--resume')
    assert r.returncode == 0, r.stderr
    m2 = json.loads((out/'metrics.json').read_text())
    assert len(m2['loss']) == 2 and m2['loss'][0] == m['loss'][0]


@pytest.mark.parametrize('args,names', [
    (['--method', 'byol'], ['method', 'byol']),
    (['--anatomy-ratio', '1.5'], ['anatomy_ratio', '[0, 1]']),
    (['--anatomy-ratio', '-0.2'], ['anatomy_ratio=-0.2']),
    (['--bs', '1'], ['bs=1', '>= 2']),
    (['--size', '16'], ['size=16', '>= 32']),
    (['--preset', 'huge'], ['huge']),
    (['--data', '/nonexistent/folder'], ['/nonexistent/folder']),
    (['--epochs', '0'], ['epochs=0', '>= 1']),
    (['--lr', 'nan'], ['lr=nan', 'finite']),
    (['--init', 'missing.pth'], ['missing.pth']),
])
def test_pretrain_bad_input(phantoms, tmp_path, args, names):
    if '--data' not in args: args = ['--data', phantoms, *args]
    r = run_cli('awcl-pretrain', '--preset', 'smoke', '--bs', 8, '--out', tmp_path/'r', *args)
    assert_one_line_error(r, 'awcl-pretrain', *names)


def test_pretrain_requires_out():
    assert_one_line_error(run_cli('awcl-pretrain', '--preset', 'smoke'), 'awcl-pretrain', '--out')


def test_pretrain_on_bad_image(phantoms, tmp_path):
    "An unreadable image stops the run naming it; with --on-bad-image skip it is left out and listed in skipped.csv."
    import shutil, pandas as pd
    data = tmp_path/'data'; shutil.copytree(phantoms, data)
    df = pd.read_csv(data/'frames.csv')
    bad = data/df.path[df.split.eq('train')].iloc[3]
    bad.write_bytes(b'')                                                  # a zero-byte frame
    args = ['--data', data, '--preset', 'smoke', '--bs', 8, '--device', 'cpu']
    env = cache_env(tmp_path/'cache')
    assert_one_line_error(run_cli('awcl-pretrain', *args, '--out', tmp_path/'a', env=env), 'awcl-pretrain', bad.name, 'empty file')
    r = run_cli('awcl-pretrain', *args, '--out', tmp_path/'b', '--on-bad-image', 'skip', env=env)
    assert r.returncode == 0, r.stderr
    sk = pd.read_csv(tmp_path/'b'/'skipped.csv')
    assert list(sk.path) == [str(bad)] and 'empty file' in sk.reason.iloc[0]
    assert 'skipped.csv' in r.stdout
    assert_one_line_error(run_cli('awcl-pretrain', *args, '--out', tmp_path/'c', '--on-bad-image', 'maybe', env=env),
                          'awcl-pretrain', "'maybe' is not one of: error, skip")
