"""The `real` study preset end to end on the public samples beside the project (`../shared/data`: FETAL_PLANES_DB, the
African fetal planes, HC18), shrunk to a couple of minutes: one seed, three encoders, one pretraining epoch, tiny
images. What it checks is the design, not the numbers: which frames pretrain, which patients are tested, that scores
come by centre and that HC18 is segmented under both protocols. Fails, not skips, in CI when the data is absent."""
import json
import pandas as pd
from awcl.data.table import read_frames, shared_data
from conftest import run_cli, cache_env


def test_real_preset_pretrains_on_real_frames_and_tests_unseen_patients(tmp_path):
    fpdb, african, hc18 = (shared_data(n) for n in ('fetal_planes_db', 'african_planes', 'hc18'))   # CI: fails when absent
    if None in (fpdb, african, hc18): import pytest; pytest.skip('the real-data samples are not beside the project')
    out = tmp_path/'real'
    r = run_cli('awcl-study', '--preset', 'real', '--out', out, '-p', 'seeds', '[0]', '-p', 'pretrain_epochs', '1',
                '-p', 'methods', "['random', 'supervised', 'awcl-fine']", '-p', 'ratios', '[1.0]', '-p', 'eval_size', '32',
                '-p', 'seg_steps', '4', timeout=900, env=cache_env(tmp_path/'cache'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'awcl-study: real study done' in r.stdout

    af = read_frames(african)
    test_paths = set(af.path[af.split.eq('test')])
    part = pd.read_csv(out/'partition.csv', dtype={'scan': str})
    pre = part[part.role.eq('pretrain')]
    assert not set(pre.path) & test_paths                                    # no test patient was pretrained on
    n_fpdb = len(list((fpdb/'Images').glob('*.png')))
    assert len(pre) == n_fpdb + int(af.split.eq('train').sum())              # every FETAL_PLANES_DB image + African train
    assert pre.scan.str.split('/').str[0].value_counts().to_dict() == {'african_train': int(af.split.eq('train').sum()),
                                                                     'fetal_planes_db': n_fpdb}   # scans kept apart by source

    sc = pd.read_csv(out/'scores.csv', dtype={'scan': str})
    planes, heads = sc[sc.task.eq('planes')], sc[sc.task.eq('hcseg')]
    for _, g in planes.groupby(['name', 'protocol']): assert set(g.frame) == test_paths   # the official test patients, all
    assert set(planes.protocol) == {'linear', 'knn'} and set(heads.protocol) == {'frozen', 'finetune'}
    assert heads.frame.str.contains('hc18').all()
    res = pd.read_csv(out/'results.csv')
    assert res.hc_mae_mm[res.task.eq('hcseg')].notna().all()

    by = pd.read_csv(out/'by_centre.csv')
    assert set(by.centre) == set(af.centre) and set(by.name) == {'random', 'supervised', 'awcl-fine'}
    assert (by.lo <= by['mean']).all() and (by['mean'] <= by.hi).all()
    summary = (out/'summary.md').read_text()
    assert '## By centre' in summary and 'pretraining preset `real`' in summary
    cfg = json.loads((out/'pretrain'/'awcl-fine-s0'/'config.json').read_text())
    assert (cfg['precision'], cfg['size'], cfg['epochs']) == ('auto', 64, 1)             # the real preset's 64 px
