"""Papermill regression tests of the study notebook (`30_study`), executed with `smoke`
parameters into a temporary folder, asserting on what they wrote and on a stored reference.

The results must match `tests/reference/study_smoke.json` (see `conftest.py` for the tolerance and how to update a
reference deliberately):

    AWCL_UPDATE_REFERENCE=1 python -m pytest tests/test_study.py
"""
import math, os
from pathlib import Path
import nbformat, pandas as pd, pytest
from awcl.study import run_study, RESULT_COLUMNS
from conftest import check_reference

METRICS = ['accuracy', 'macro_f1', 'macro_precision', 'macro_recall', 'dice', 'iou', 'hc_mae_mm']
KEY = ['name', 'task', 'protocol', 'seed']


@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    d = tmp_path_factory.mktemp('cache'); old = os.environ.get('AWCL_CACHE')
    os.environ['AWCL_CACHE'] = str(d)
    yield d
    if old is None: os.environ.pop('AWCL_CACHE', None)
    else: os.environ['AWCL_CACHE'] = old


@pytest.fixture(scope='module')
def smoke(cache, tmp_path_factory):
    out = tmp_path_factory.mktemp('study')/'smoke'
    run_study('smoke', out)
    return out


def _rows(res:pd.DataFrame) -> list:
    keep = res[KEY + METRICS].sort_values(KEY)
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in keep.to_dict('records')]


def test_study_writes_everything(smoke):
    for f in ['study.ipynb', 'results.csv', 'summary.md', 'study.json', 'methods_by_task.png']:
        assert (smoke/f).is_file(), f
    res = pd.read_csv(smoke/'results.csv')
    assert list(res.columns[:len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    assert set(res.task) == {'planes', 'brain', 'hcseg'} and set(res.protocol) == {'linear', 'finetune'}
    assert set(res.method) == {'random', 'simclr', 'awcl'} and set(res.granularity.dropna()) == {'fine', 'coarse'}
    assert len(res) == 4 * 3 * 2                                    # encoders x tasks x protocols, one seed
    cls, seg = res[res.task.ne('hcseg')], res[res.task.eq('hcseg')]
    for c in ['accuracy', 'macro_f1', 'macro_precision', 'macro_recall']: assert cls[c].between(0, 1).all(), c
    for c in ['dice', 'iou']: assert seg[c].between(0, 1).all(), c
    assert (seg.hc_mae_mm >= 0).all() and seg.hc_mae_mm.notna().all()
    nb = nbformat.read(smoke/'study.ipynb', as_version=4)   # figures inline although tests/run.sh sets MPLBACKEND=Agg
    images = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs if 'image/png' in o.get('data', {})]
    assert len(images) >= 2, f'{len(images)} figures in the executed study notebook'
    summary = (smoke/'summary.md').read_text()
    assert 'AWCL > SimCLR > random' in summary and 'Fine > coarse' in summary


def test_study_matches_reference(smoke):
    check_reference('study_smoke', _rows(pd.read_csv(smoke/'results.csv')))


def test_parameters_are_live(smoke, tmp_path):
    "Another seed changes the results: the papermill parameters reach the code."
    out = tmp_path/'seed1'
    sub = [('methods', "['random', 'awcl-fine']"), ('tasks', "['planes']"), ('protocols', "['linear']")]
    run_study('smoke', out, sub + [('seeds', '[1]')])
    new = pd.read_csv(out/'results.csv')
    old = pd.read_csv(smoke/'results.csv')
    old = old[old.name.isin(['random', 'awcl-fine']) & old.task.eq('planes') & old.protocol.eq('linear')]
    assert list(new.seed) == [1, 1]
    assert not new.accuracy.reset_index(drop=True).equals(old.accuracy.reset_index(drop=True))
