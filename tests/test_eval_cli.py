"Tests of the installed `awcl-eval` command: a tiny run writes its run folder; bad input ends in one line without a traceback."
import json, math
import pandas as pd, pytest
from conftest import run_cli, assert_one_line_error, cache_env

METRIC_KEYS = {'task', 'protocol', 'encoder', 'seed', 'size', 'label_budget', 'n_train', 'n_valid', 'n_test', 'classes',
               'accuracy', 'macro_f1', 'macro_precision', 'macro_recall', 'confusion'}


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    "A private cache, and one OpenMP thread (two can be many times slower on a busy shared CPU)."
    return cache_env(tmp_path_factory.mktemp('cache'))


@pytest.fixture(scope='module')
def phantoms(phantom_set):
    "A tiny phantom set (10 scans of 12 frames, split 6/2/2 by scan)."
    return phantom_set(10, 12)


def run(env, *args): return run_cli('awcl-eval', *args, env=env)


@pytest.mark.parametrize('task,protocol', [('planes', 'linear'), ('planes', 'knn'), ('brain', 'finetune')])
def test_run_folder(env, phantoms, tmp_path, task, protocol):
    out = tmp_path/'run'
    r = run(env, '--task', task, '--data', phantoms, '--encoder', 'random', '--protocol', protocol,
            '--size', 32, '--steps', 4, '--out', out)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]                        # after the frame cache's progress bar: one summary line
    assert last.startswith(f'awcl-eval: {task} {protocol}, encoder random: accuracy'), r.stdout
    assert f'wrote in {out}:' in last and 'metrics.json' in last and 'per_frame.csv' in last, last
    m = json.loads((out/'metrics.json').read_text())
    assert METRIC_KEYS <= set(m), METRIC_KEYS - set(m)
    assert (m['task'], m['protocol'], m['encoder'], m['size']) == (task, protocol, 'random', 32)
    for k in ('accuracy', 'macro_f1', 'macro_precision', 'macro_recall'):
        assert isinstance(m[k], float) and math.isfinite(m[k]) and 0 <= m[k] <= 1, (k, m[k])
    n = len(m['classes'])
    assert len(m['confusion']) == n and all(len(row) == n for row in m['confusion'])
    assert sum(map(sum, m['confusion'])) == m['n_test'] > 0
    assert math.isclose(m['accuracy'], sum(m['confusion'][i][i] for i in range(n)) / m['n_test'])
    assert (out/'confusion.png').stat().st_size > 0
    assert json.loads((out/'config.json').read_text())['data'] == str(phantoms)
    pf = pd.read_csv(out/'per_frame.csv')                           # the test frames' scores: the metric's evidence
    assert len(pf) == m['n_test'] and math.isclose(pf.score.mean(), m['accuracy'])


def test_hcseg_run_folder(env, phantoms, tmp_path):
    out = tmp_path/'seg'
    r = run(env, '--task', 'hcseg', '--data', phantoms, '--encoder', 'random', '--protocol', 'linear',
            '--size', 32, '--steps', 4, '--out', out)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]                        # after the progress bars: the one summary line
    assert last.startswith('awcl-eval: hcseg frozen, encoder random: Dice'), r.stdout   # linear: the old name of frozen
    m = json.loads((out/'metrics.json').read_text())
    assert {'task', 'protocol', 'encoder', 'seed', 'dice', 'iou', 'hc_mae_mm', 'n_train', 'n_test'} <= set(m)
    assert m['task'] == 'hcseg' and m['n_test'] > 0
    for k in ('dice', 'iou'): assert math.isfinite(m[k]) and 0 <= m[k] <= 1, (k, m[k])
    assert math.isfinite(m['hc_mae_mm']) and m['hc_mae_mm'] >= 0
    assert m['protocol'] == 'frozen' and math.isclose(pd.read_csv(out/'per_frame.csv').score.mean(), m['dice'])


@pytest.mark.parametrize('arg,value,msg', [
    ('--task', 'segment', "--task 'segment' is not one of planes, brain, hcseg"),
    ('--protocol', 'frozen', "--protocol 'frozen' is not one of linear, knn, finetune (task planes)"),
    ('--label-budget', '1.5', '--label-budget 1.5 must be a fraction of the training scans in (0, 1]'),
    ('--encoder', '{tmp}/absent/encoder.pth', 'absent/encoder.pth'),
    ('--data', '{tmp}/nowhere', 'nowhere: no such file or folder'),
    ('--size', '16', '--size 16 must be at least 32'),
    ('--label-budget', '0', '--label-budget 0.0 must be a fraction of the training scans in (0, 1]'),
    ('--bs', '1', '--bs 1 must be at least 2'),
    ('--on-bad-image', 'ignore', "--on-bad-image 'ignore' is not one of error, skip"),
])
def test_bad_input(env, phantoms, tmp_path, arg, value, msg):
    args = {'--task': 'planes', '--data': str(phantoms), '--encoder': 'random', '--protocol': 'linear',
            '--size': '32', '--out': str(tmp_path/'out'), arg: value.format(tmp=tmp_path)}
    r = run(env, *[x for kv in args.items() for x in kv])
    assert r.returncode == 2, r
    assert_one_line_error(r, 'awcl-eval', msg)
    assert r.stdout == ''
    assert not (tmp_path/'out').exists()


def test_skip_bad_images_and_resume(env, phantoms, tmp_path):
    "--on-bad-image skip leaves an unreadable image out and lists it; --resume reuses the finished evaluation."
    import shutil
    data = tmp_path/'data'; shutil.copytree(phantoms, data)
    df = pd.read_csv(data/'frames.csv')
    bad = data/df.path[df.split.eq('test')].iloc[0]
    bad.write_bytes(bad.read_bytes()[:40])                          # a truncated PNG among the test frames
    args = ['--task', 'planes', '--data', data, '--encoder', 'random', '--protocol', 'linear', '--size', 32, '--out', tmp_path/'e']
    assert_one_line_error(run(env, *args), 'awcl-eval', bad.name)   # the default: stop naming the file
    r = run(env, *args, '--on-bad-image', 'skip')
    assert r.returncode == 0, r.stderr
    assert 'skipped 1 unreadable file (first:' in r.stderr and bad.name in r.stderr
    sk = pd.read_csv(tmp_path/'e'/'skipped.csv')
    assert list(sk.path) == [str(bad)] and sk.reason.iloc[0]
    m = json.loads((tmp_path/'e'/'metrics.json').read_text())
    assert m['n_test'] == df.split.eq('test').sum() - 1 and str(bad) not in set(pd.read_csv(tmp_path/'e'/'per_frame.csv').frame)
    stamp = (tmp_path/'e'/'metrics.json').stat().st_mtime_ns
    r = run(env, *args, '--on-bad-image', 'skip', '--resume')
    assert r.returncode == 0 and 'reused the finished evaluation' in r.stdout, r.stdout + r.stderr
    assert (tmp_path/'e'/'metrics.json').stat().st_mtime_ns == stamp
    r = run(env, *args, '--on-bad-image', 'skip', '--resume', '--seed', 1)   # other settings: evaluated anew
    assert r.returncode == 0 and 'reused' not in r.stdout and (tmp_path/'e'/'metrics.json').stat().st_mtime_ns != stamp


def test_killed_finetune_reruns_to_the_same_result(env, phantoms, tmp_path):
    """A fine-tuning evaluation killed with SIGKILL mid-run writes no metrics.json (it is written last, atomically);
    restarted with --resume it evaluates again from its start (an evaluation keeps no mid-run checkpoint) and gives
    exactly the uninterrupted run's numbers."""
    import signal, subprocess, time
    from conftest import exe
    args = ['--task', 'brain', '--data', phantoms, '--encoder', 'random', '--protocol', 'finetune', '--size', 32, '--steps', 6]
    assert run(env, *args, '--out', tmp_path/'full').returncode == 0
    own = cache_env(tmp_path/'cache')   # an empty cache: the run is killed while it works
    p = subprocess.Popen([exe('awcl-eval'), *map(str, args), '--out', tmp_path/'killed'], env=own,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not list((tmp_path/'cache').glob('frames/*')) and p.poll() is None and time.time() - t0 < 120: time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    assert p.returncode == -signal.SIGKILL and not (tmp_path/'killed'/'metrics.json').exists()
    r = run(own, *args, '--out', tmp_path/'killed', '--resume')
    assert r.returncode == 0 and 'reused' not in r.stdout, r.stderr
    drop = lambda m: {k: v for k, v in m.items() if 'seconds' not in k}
    full, again = (json.loads((tmp_path/d/'metrics.json').read_text()) for d in ('full', 'killed'))
    assert drop(again) == drop(full)
    assert (tmp_path/'killed'/'per_frame.csv').read_bytes() == (tmp_path/'full'/'per_frame.csv').read_bytes()
