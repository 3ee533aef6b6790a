"""Papermill regression tests for the method and downstream notebooks: `12_pretrain`, `20_classification` and
`21_segmentation` run through papermill with their `parameters` cell overridden (`out`: a temporary folder, `seed`),
and the tests assert on what the notebooks wrote there.

The notebooks run exactly the cells `nbdev-test` runs: code cells flagged with one of `tst_flags` (`slow`, `gpu`) or
`#| eval: false` are dropped before papermill sees the notebook (papermill itself knows nothing of nbdev's flags, and
the slow cells train for minutes). Their examples are the notebooks' smoke runs: tiny phantom sets, 32-64 px, one
or two epochs.

The numbers must match `tests/reference/<cpu kind>/notebook_*.json` (see `conftest.py` for the tolerance and how to update a
reference deliberately):

    AWCL_UPDATE_REFERENCE=1 python -m pytest tests/test_notebooks.py
"""
import json
from pathlib import Path
import nbformat, papermill as pm, pytest
from nbdev.config import get_config
from nbdev.test import nb_test_cells
from conftest import check_reference, close, finite

NBS = Path(__file__).parents[1]/'nbs'


def nbdev_cells(src:Path, dest:Path, upto:str=None) -> Path:
    """Write to `dest` the notebook `src` with only the code cells `nbdev-test` would run (markdown kept); with `upto`,
    only the cells up to the first code cell whose source holds that text."""
    keep = {c.id for c in nb_test_cells(src, skip_flags=get_config(path=NBS.parent).tst_flags)}
    nb = nbformat.read(src, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type != 'code' or c.id in keep]
    if upto:
        last = next((i for i, c in enumerate(nb.cells) if c.cell_type == 'code' and upto in c.source), None)
        assert last is not None, f'{src.name}: no code cell holds {upto!r}'
        nb.cells = nb.cells[:last + 1]
    assert any('parameters' in c.metadata.get('tags', []) for c in nb.cells), f'{src.name}: no papermill parameters cell'
    nbformat.write(nb, dest)
    return dest


def run_notebook(name:str, tmp:Path, upto:str=None, **params) -> Path:
    """Papermill `nbs/name.ipynb` (the cells nbdev-test runs, or those `upto` a cell: see `nbdev_cells`) with `params`
    and `out=tmp/'out'`; returns that folder."""
    tmp.mkdir(parents=True, exist_ok=True)
    out = tmp/'out'
    src = nbdev_cells(NBS/f'{name}.ipynb', tmp/f'{name}.ipynb', upto)
    pm.execute_notebook(src, tmp/f'{name}.executed.ipynb', parameters=dict(out=str(out), **params), cwd=str(NBS),
                        kernel_name='python3', language='python', progress_bar=False)
    return out


def test_close_compares():
    "The comparison itself: tolerance on floats only, exact structure."
    assert close({'a': [1.0, 'x']}, {'a': [1.0005, 'x']}) == []
    assert close({'a': [1.01, 'x']}, {'a': [1.0, 'x']}) != []
    assert close({'a': [1.0]}, {'a': [1.0, 2.0]}) != [] and close({'a': 1}, {'b': 1}) != []
    assert close({'n': 3}, {'n': 4}) != [] and close('linear', 'finetune') != []
    assert not finite({'a': [1.0, float('nan')]}) and finite({'a': [1, 2.5, None]})


def test_nbdev_cells_upto(tmp_path):
    "`upto` keeps the cells before the named one and that cell; a text no cell holds is an error."
    mark = "pretrain(ph, smoke, tmp/'run')"
    full = nbformat.read(nbdev_cells(NBS/'14_pretrain.run.ipynb', tmp_path/'full.ipynb'), as_version=4).cells
    cut = nbformat.read(nbdev_cells(NBS/'14_pretrain.run.ipynb', tmp_path/'cut.ipynb', mark), as_version=4).cells
    assert 0 < len(cut) < len(full) and mark in cut[-1].source and [c.id for c in cut] == [c.id for c in full[:len(cut)]]
    with pytest.raises(AssertionError, match='no code cell holds'): nbdev_cells(NBS/'14_pretrain.run.ipynb', tmp_path/'x.ipynb', 'no such text')


@pytest.fixture(scope='module')
def seed0(tmp_path_factory):
    "`seed0(name)`: the output folder of notebook `name` run with seed 0, run once per test module on first use."
    runs = {}
    def get(name:str) -> Path:
        if name not in runs: runs[name] = run_notebook(name, tmp_path_factory.mktemp(name), seed=0)
        return runs[name]
    return get


# ---- 12_pretrain: an AWCL run (one epoch, 8 scans x 12 phantom frames, 64 px) ----
RUN_KEYS = ['loss', 'valid_loss', 'z_std', 'epochs']   # not wall_seconds, images_per_s, device


def pretrain_result(out:Path) -> dict:
    m = json.loads((out/'run'/'metrics.json').read_text())
    missing = [k for k in RUN_KEYS if k not in m]
    assert not missing, f'metrics.json lacks {missing}'
    return {k: m[k] for k in RUN_KEYS}


def test_pretrain_notebook(seed0):
    pretrain_nb = seed0('14_pretrain.run')
    run = pretrain_nb/'run'
    for f in ['encoder.pth', 'checkpoint.pth', 'config.json', 'metrics.json']: assert (run/f).is_file(), f
    got = pretrain_result(pretrain_nb)
    assert finite(got) and len(got['loss']) == 1 and got['loss'][0] > 0 and got['z_std'][-1] > 0, got
    assert json.loads((run/'config.json').read_text())['seed'] == 0
    check_reference('notebook_12_pretrain', got)


def test_pretrain_notebook_seed_is_live(seed0, tmp_path):
    "The `seed` parameter reaches the notebook's run; the cells after that first run (resume, the other methods) are left out."
    pretrain_nb = seed0('14_pretrain.run')
    out = run_notebook('14_pretrain.run', tmp_path, upto="pretrain(ph, smoke, tmp/'run')", seed=1)
    assert json.loads((out/'run'/'config.json').read_text())['seed'] == 1
    assert pretrain_result(out)['loss'] != pretrain_result(pretrain_nb)['loss']
    assert (out/'run'/'encoder.pth').read_bytes() != (pretrain_nb/'run'/'encoder.pth').read_bytes()


# ---- 20_classification: planes/linear and planes/knn (one pass of features), brain/finetune, 10 phantom scans at 32 px ----
CLS_METRICS = ['accuracy', 'macro_f1', 'macro_precision', 'macro_recall']


def classification_result(out:Path) -> dict:
    ex = json.loads((out/'examples.json').read_text())
    keep = ['task', 'protocol', 'encoder', 'seed', 'classes', 'n_train', 'n_valid', 'n_test', 'confusion',
            'valid_accuracy', *CLS_METRICS]
    res = {p: {k: ex[p][k] for k in keep} for p in ['linear', 'knn', 'finetune']}
    res['finetune']['train_loss'] = ex['finetune']['train_loss']
    return res


def test_classification_notebook(seed0):
    classification_nb = seed0('22_tasks.classify')
    assert (classification_nb/'lin'/'confusion.png').stat().st_size > 1000
    got = classification_result(classification_nb)
    assert finite(got)
    for p, m in got.items():
        assert m['protocol'] == p and m['seed'] == 0
        for k in CLS_METRICS: assert 0 <= m[k] <= 1, (p, k, m[k])
        assert sum(map(sum, m['confusion'])) == m['n_test'] > 0
    assert (got['linear']['task'], got['finetune']['task']) == ('planes', 'brain')
    check_reference('notebook_20_classification', got)


def test_classification_notebook_seed_is_live(seed0, tmp_path):
    classification_nb = seed0('22_tasks.classify')
    new = classification_result(run_notebook('22_tasks.classify', tmp_path, seed=1))
    old = classification_result(classification_nb)
    assert new['finetune']['seed'] == 1 and new['finetune']['train_loss'] != old['finetune']['train_loss']


# ---- 21_segmentation: the frozen protocol's light decoder on phantom heads (a few dozen steps at 32 px) ----
def segmentation_result(out:Path) -> dict:
    return json.loads((out/'examples.json').read_text())


def test_segmentation_notebook(seed0):
    segmentation_nb = seed0('23_tasks.segment')
    assert (segmentation_nb/'run'/'segmentations.png').stat().st_size > 1000
    got = segmentation_result(segmentation_nb)
    assert finite(got) and None not in got.values(), got
    assert (got['task'], got['protocol'], got['seed']) == ('hcseg', 'frozen', 0) and got['steps'] > 0
    assert 0 <= got['iou'] <= got['dice'] <= 1 and 0 <= got['hc_failed'] <= got['n_test'] and got['hc_mae_mm'] >= 0
    check_reference('notebook_21_segmentation', got)


def test_segmentation_notebook_seed_is_live(seed0, tmp_path):
    segmentation_nb = seed0('23_tasks.segment')
    new = segmentation_result(run_notebook('23_tasks.segment', tmp_path, seed=1))
    assert new['seed'] == 1 and new['dice'] != segmentation_result(segmentation_nb)['dice']
