"""Papermill regression tests of the study notebook (`33_study`), executed with `smoke`
parameters into a temporary folder, asserting on what they wrote and on a stored reference.

The results must match `tests/reference/<cpu kind>/study_smoke.json` (see `conftest.py` for the tolerance and how to update a
reference deliberately):

    AWCL_UPDATE_REFERENCE=1 python -m pytest tests/test_study.py
"""
import json, math
import nbformat, pandas as pd, pytest
from awcl.study.run import run_study, RESULT_COLUMNS
from conftest import check_reference

METRICS = ['accuracy', 'macro_f1', 'macro_precision', 'macro_recall', 'dice', 'iou', 'hc_mae_mm']
KEY = ['name', 'task', 'protocol', 'seed']
ENCODERS = {'random', 'supervised', 'simclr', 'scan', 'awcl-coarse', 'awcl-fine'}
PROTOCOLS = {'planes': {'linear', 'knn', 'finetune'}, 'brain': {'linear', 'knn', 'finetune'}, 'hcseg': {'frozen', 'finetune'}}


@pytest.fixture(scope='module')
def smoke(smoke_study):
    "The shared smoke study (conftest.py): `awcl-study --preset smoke`, its output going to a log file."
    return smoke_study


@pytest.fixture(scope='module', autouse=True)
def cache(smoke):
    "The shared smoke study's cache folder, which this module's own runs use too (its phantoms are generated once)."
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('AWCL_CACHE', str(smoke.parent/'cache'))
        yield smoke.parent/'cache'


def test_progress_lines_reach_a_log_while_the_study_runs(smoke):
    """Under a batch scheduler or `> log`, progress lines must arrive as they happen, not all at the end: the shared smoke
    study runs as `awcl-study --preset smoke --out smoke > log`, a relative --out, from its parent folder."""
    polls, text = json.loads((smoke.parent/'polls.json').read_text()), (smoke.parent/'awcl-study.log').read_text()
    final = text.count('\n')
    assert 'pretrained supervised seed 0' in text and 'awcl-study: smoke study done' in text
    during = [n for _, n in polls if 0 < n < final]
    assert len(set(during)) >= 3, f'the log grew only at the end: {polls[-10:]} of {final} lines'
    assert max([n for t, n in polls if t <= 60] + [0]) >= 3, f'fewer than 3 lines in the first minute: {polls[:130:10]}'


def _rows(res:pd.DataFrame) -> list:
    keep = res[KEY + METRICS].sort_values(KEY)
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in keep.to_dict('records')]


def test_study_writes_everything(smoke):
    for f in ['study.ipynb', 'results.csv', 'scores.csv', 'score_table.csv', 'partition.csv', 'summary.md', 'study.json',
              'methods_by_task.png', 'pretraining_curves.png', 'forest.png', 'verdicts.csv', 'views.png']:
        assert (smoke/f).is_file(), f
    res = pd.read_csv(smoke/'results.csv')
    assert list(res.columns[:len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    assert set(res.name) == ENCODERS and set(res.method) == {'random', 'supervised', 'simclr', 'scan', 'awcl'}
    for task, prots in PROTOCOLS.items(): assert set(res.protocol[res.task.eq(task)]) == prots, task
    assert len(res) == len(ENCODERS) * sum(map(len, PROTOCOLS.values()))   # encoders x task protocols, one seed
    cls, seg = res[res.task.ne('hcseg')], res[res.task.eq('hcseg')]
    for c in ['accuracy', 'macro_f1', 'macro_precision', 'macro_recall']: assert cls[c].between(0, 1).all(), c
    for c in ['dice', 'iou']: assert seg[c].between(0, 1).all(), c
    assert (seg.hc_mae_mm >= 0).all() and seg.hc_mae_mm.notna().all()
    nb = nbformat.read(smoke/'study.ipynb', as_version=4)   # figures inline although tests/run.sh sets MPLBACKEND=Agg
    images = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs if 'image/png' in o.get('data', {})]
    assert len(images) >= 2, f'{len(images)} figures in the executed study notebook'


def test_scores_are_the_evidence(smoke):
    "Per-frame scores reproduce every metric, and all encoders are scored on the same test frames (paired)."
    res, sc = pd.read_csv(smoke/'results.csv'), pd.read_csv(smoke/'scores.csv')
    for r in res.itertuples():
        s = sc[(sc.name == r.name) & (sc.task == r.task) & (sc.protocol == r.protocol) & (sc.seed == r.seed)]
        assert len(s) == r.n_test > 0, (r.name, r.task, r.protocol)
        assert abs(s.score.mean() - (r.dice if r.task == 'hcseg' else r.accuracy)) < 1e-9, (r.name, r.task, r.protocol)
    frames = sc.groupby(['task', 'protocol', 'name']).frame.apply(frozenset)
    for (task, _), per_encoder in frames.groupby(level=[0, 1]): assert per_encoder.nunique() == 1, task


def test_no_downstream_frame_was_pretrained_on(smoke):
    part, sc = pd.read_csv(smoke/'partition.csv', dtype={'scan': str}), pd.read_csv(smoke/'scores.csv', dtype={'scan': str})
    pre, down = part[part.role.eq('pretrain')], part[part.role.eq('downstream')]
    assert len(pre) and len(down) and not set(pre.scan) & set(down.scan)
    cls = sc[sc.task.ne('hcseg')]
    assert set(cls.frame) <= set(down.path) and not set(cls.scan) & set(pre.scan)


def test_summary_gives_intervals_and_verdicts(smoke):
    summary = (smoke/'summary.md').read_text()
    assert 'Smoke run' in summary                                     # a smoke run says its verdicts are not evidence
    for head in ['Primary family', 'Controls', 'AWCL against SimCLR', 'Fine > coarse', 'More anatomy positives help',
                 'Cross-domain segmentation']:
        assert head in summary, head
    assert 'Holm p' in summary and 'vs supervised' in summary and 'exploratory' in summary
    assert 'conditional on this seed' in summary                      # one seed: the intervals say what they cover
    lines = [l for l in summary.splitlines() if ' vs ' in l and '**' in l and 'not run' not in l and 'Holm p' not in l]
    verdicts = ('**held**', '**did not hold**', '**undecided**')
    assert lines and all('[' in l and any(v in l for v in verdicts) for l in lines), [l for l in lines if '[' not in l][:3]
    assert 'seed x ' in summary and 'test scans' in summary
    assert all('smallest detectable' in l for l in lines if 'not comparable' not in l), 'a comparison without its power'
    assert '](forest.png)' in summary and 'Machine: ' in summary and ' vs scan ' in summary   # every baseline compared


def test_verdicts_table_is_the_summary(smoke):
    "verdicts.csv holds one row per comparison of summary.md (relative rows beside their difference), forest.png draws them."
    v, summary = pd.read_csv(smoke/'verdicts.csv'), (smoke/'summary.md').read_text()
    n = int(summary.split(' comparisons: ')[0].split()[-1])
    assert (v.statistic != 'relative %').sum() == n and set(v.verdict) <= {'held', 'did not hold', 'undecided'}
    d = v[v.statistic == 'difference']
    assert ((d.lo <= d.estimate + 1e-9) & (d.estimate <= d.hi + 1e-9)).all() and (v.mde.dropna() >= 0).all()
    assert set(v.hypothesis) >= {'control', 'awcl > simclr', 'awcl > scan', 'simclr > random', 'fine > coarse'}


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


def test_stale_results_are_recomputed(smoke, tmp_path):
    "A rerun into the same folder reuses evaluations whose config matches and recomputes those whose config changed."
    out = tmp_path/'rerun'
    sub = [('methods', "['random']"), ('tasks', "['planes']"), ('protocols', "['linear', 'finetune']")]
    run_study('smoke', out, sub)
    ev = out/'eval'/'random-s0'
    lin, ft = (ev/'planes-linear'/'metrics.json').stat().st_mtime_ns, (ev/'planes-finetune'/'metrics.json').stat().st_mtime_ns
    run_study('smoke', out, sub + [('finetune_steps', '3')])
    assert (ev/'planes-linear'/'metrics.json').stat().st_mtime_ns == lin                     # same config: reused
    assert (ev/'planes-finetune'/'metrics.json').stat().st_mtime_ns != ft                    # other steps: recomputed
    assert json.loads((ev/'planes-finetune'/'config.json').read_text())['steps'] == 3
    assert json.loads((ev/'planes-finetune'/'metrics.json').read_text())['steps'] == 3
    summary = (out/'summary.md').read_text()                  # one encoder: nothing to compare, no forest plot
    assert not (out/'forest.png').exists() and 'forest.png' not in summary and 'Scores' in summary


def test_one_frame_cache_serves_every_method(smoke, cache):
    "Every pretraining run of the study reads one frame cache: the pretraining frames at load size are decoded once."
    from awcl.pretrain.run import preset_config
    caches = [json.loads((d/'meta.json').read_text()) for d in (cache/'frames').iterdir() if not d.name.startswith('.')]
    load = preset_config('smoke').load_size
    pre = [c for c in caches if c['size'] == load and not c['masks']]
    assert len(pre) == 1, caches
    assert len({(c['size'], c['n'], c['key']) for c in caches}) == len(caches)   # and no table decoded twice


def test_study_and_run_folders_record_provenance(smoke):
    "Seeds, package versions, git commit, the full parameters and the frame tables' content keys, in every folder."
    st = json.loads((smoke/'study.json').read_text())
    assert st['seeds'] == [0] and st['data_seed'] == 0 and st['parameters']['preset'] == 'smoke'
    assert set(st['frames_keys']) >= {'pretrain', 'downstream', 'task_planes', 'task_brain', 'task_hcseg'}
    assert all(len(k) == 16 for k in st['frames_keys'].values())
    runs = [json.loads(p.read_text()) for p in (smoke/'pretrain').glob('*/config.json')]
    evals = [json.loads(p.read_text()) for p in (smoke/'eval').glob('*/*/config.json')]
    assert len(runs) == 5 and len(evals) == len(ENCODERS) * 8
    for rec in [st] + runs + evals:
        p = rec['provenance']
        assert p['packages']['torch'] and p['packages']['awcl'] and p['python'] and 'git_commit' in p and p['time']
    for r in runs: assert len(r['frames_key']) == 16 and r['seed'] == 0 and r['frames_key'] == st['frames_keys']['pretrain']
    for e in evals: assert e['seed'] == 0 and len(e['data']) == 16


def test_interrupted_study_loses_at_most_the_cell_in_flight(smoke, tmp_path):
    """A study killed mid-way leaves finished cells (metrics.json written last, atomically), a pretraining run with its
    last checkpoint, and at most one evaluation without metrics.json. Rerun into the same folder: finished cells are
    reused, the pretraining run resumes, the unfinished evaluation is recomputed, and the results are the same."""
    import shutil
    out = tmp_path/'killed'
    shutil.copytree(smoke, out, ignore=shutil.ignore_patterns('results.csv', 'scores.csv', 'summary.md', 'study.json', 'progress.log'))
    run = out/'pretrain'/'simclr-s0'
    (run/'metrics.json').unlink(); (run/'encoder.pth').unlink()          # killed before its end: checkpoint only
    cell = out/'eval'/'awcl-fine-s0'/'planes-finetune'
    (cell/'metrics.json').unlink()                                        # the evaluation in flight
    run_study('smoke', out)
    log = (out/'progress.log').read_text()
    assert 'pretrained simclr seed 0 (resumed)' in log and log.count('(reused)') >= 3, log
    assert 'evaluated awcl-fine seed 0 on planes' in log
    assert _rows(pd.read_csv(out/'results.csv')) == _rows(pd.read_csv(smoke/'results.csv'))   # exactly: same seed, same numbers


def test_bad_study_parameters_are_refused_before_any_work(tmp_path):
    from awcl.core import AwclError
    for name, value, allowed in [('ratios', '[-0.5]', '[0, 1]'), ('pretrain_bs', '1', '>= 2'), ('methods', "['byol']", 'awcl-fine'),
                                 ('label_budget', '0', '(0, 1]'), ('eval_size', '8', '>= 32')]:
        with pytest.raises(AwclError, match=name) as e: run_study('smoke', tmp_path/'bad', [(name, value)])
        assert allowed in str(e.value)
    assert not (tmp_path/'bad'/'study.ipynb').exists()   # refused before the notebook ran
