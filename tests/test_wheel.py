"""The installed library: the wheel built from this checkout, installed into a fresh virtual environment outside the
repo, works without the checkout.

1. `pip wheel . --no-deps` builds a wheel holding every module of `awcl/` and the study notebook as `awcl/study.ipynb`;
   the sdist carries `nbs/33_study.ipynb` and `settings.ini`, so that a wheel built from it holds the notebook too.
2. A fresh venv under pytest's tmp_path gets the wheel (not editable). Its dependencies are this test environment's
   own (torch and the rest, made visible to the venv by a `.pth` file, the wheel installed with `--no-deps`), and
   `pip check` in the venv confirms that they satisfy every requirement the wheel declares: installing a second,
   CUDA, torch (4.6 GB) would test pip, not awcl. `AWCL_WHEEL_UNPINNED=1` installs the dependencies as a new user's
   `pip install awcl-*.whl` would instead (several GB; the result comparison is then left out, as other versions may
   move the numbers).
3. From a folder outside the repo, with `$AWCL_CACHE` in tmp_path (`$AWCL_SHARED_DATA` is not needed and is unset):
   `import awcl` (from the venv, its version settings.ini's) and the public API, the five commands' `--help`, the
   study notebook as package data (`importlib.resources`), and the installed `awcl-study`, whose rows must equal the
   same rows of the shared smoke study of the checkout (conftest's `smoke_study`).

Phase timings are printed (`pytest -rP` or `-s` shows them). Nothing here skips: a failure fails, in CI (`$CI`) and
elsewhere.
"""
import configparser, json, math, os, re, shutil, subprocess, sys, sysconfig, tarfile, time, zipfile
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
import pandas as pd, pytest
from conftest import close

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ['awcl-synth', 'awcl-data', 'awcl-pretrain', 'awcl-eval', 'awcl-study']
UNPINNED = os.environ.get('AWCL_WHEEL_UNPINNED', '').strip().lower() not in ('', '0', 'false', 'no')
PIP = ['-m', 'pip', '--disable-pip-version-check']


def settings_version() -> str:
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini', encoding='utf-8')
    return cfg['DEFAULT']['version']


def run(cmd, timeout, **kw) -> subprocess.CompletedProcess:
    "Run `cmd`; fail with the end of its output unless it succeeds."
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, f'{" ".join(map(str, cmd))} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}'
    return r


@contextmanager
def phase(times:dict, name:str):
    t = time.perf_counter()
    yield
    times[name] = round(time.perf_counter() - t, 1)
    print(f'wheel test: {name}: {times[name]} s', flush=True)


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('wheel')
    times = {}
    with phase(times, 'wheel build (pip wheel . --no-deps)'):
        run([sys.executable, *PIP, 'wheel', '.', '--no-deps', '-w', tmp/'dist', '-q'], 600, cwd=ROOT)
    wheel, = (tmp/'dist').glob('awcl-*.whl')
    venv = tmp/'venv'
    py = venv/'bin'/'python'
    with phase(times, 'venv'):
        run([sys.executable, '-m', 'venv', *([] if UNPINNED else ['--without-pip']), venv], 300)   # reused: pip and setuptools too
        site = Path(run([py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], 60).stdout.strip())
    if UNPINNED:
        with phase(times, 'venv install (wheel + dependencies, unpinned)'):
            run([py, *PIP, 'install', '-q', '--no-compile', wheel], 3600)
    else:   # this environment's dependencies, seen through a .pth file (its own .pth files, e.g. the editable awcl, are not read)
        here = Path(sysconfig.get_paths()['purelib'])
        (site/'_awcl_test_dependencies.pth').write_text(f'{here}\n')
        with phase(times, "venv install (the wheel, with this environment's dependencies)"):
            run([py, *PIP, 'install', '-q', '--no-compile', '--no-deps', wheel], 600)
            run([py, *PIP, 'check'], 300)   # every requirement of the wheel is met
    work = tmp/'work'; work.mkdir()   # the commands run here: no checkout in sight
    drop = ('PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'VIRTUAL_ENV', 'AWCL_SHARED_DATA', 'JUPYTER_PATH', 'CONDA_PREFIX')
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PATH=f'{venv/"bin"}{os.pathsep}{os.environ.get("PATH", "")}', VIRTUAL_ENV=str(venv), PYTHONNOUSERSITE='1',
               AWCL_CACHE=str(tmp/'cache'), OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', MPLBACKEND='Agg',
               JUPYTER_DATA_DIR=str(tmp/'jupyter-data'), JUPYTER_CONFIG_DIR=str(tmp/'jupyter-config'), IPYTHONDIR=str(tmp/'ipython'))
    yield SimpleNamespace(tmp=tmp, wheel=wheel, venv=venv, py=py, site=site, work=work, env=env, times=times)
    shutil.rmtree(venv, ignore_errors=True)   # 6.4 GB; pytest keeps the rest of its last three runs


def in_venv(inst, *cmd, timeout=600) -> subprocess.CompletedProcess:
    return run(cmd, timeout, cwd=inst.work, env=inst.env)


def test_wheel_holds_the_package_and_the_study_notebook(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    modules = {n.split('/', 1)[1] for n in names if re.fullmatch(r'awcl/[^/]+\.py', n)}
    assert modules == {p.name for p in (ROOT/'awcl').glob('*.py')}, \
        f'wheel modules differ from awcl/*.py (stale files in {ROOT/"build"}? remove that folder): {modules ^ {p.name for p in (ROOT/"awcl").glob("*.py")}}'
    assert zipfile.ZipFile(installed.wheel).read('awcl/study.ipynb') == (ROOT/'nbs'/'33_study.ipynb').read_bytes()
    assert not [n for n in names if '.data/' in n], 'nothing installed outside the package (no data_files)'


def test_import_version_and_api(installed):
    code = '''if True:
        import json, importlib.resources as res
        import awcl
        from awcl import read_frames, make_phantoms, frame_cache, PretrainConfig, preset_config, evaluate, run_study, load_encoder
        from awcl.pretrain import pretrain
        import awcl.pretrain as p, awcl.tasks.evaluate as e, types
        from awcl.pretrain.run import PretrainConfig as PC
        from awcl.study.run import study_notebook
        from jupyter_client.kernelspec import KernelSpecManager
        spec = KernelSpecManager().get_kernel_spec('python3')
        print(json.dumps(dict(version=awcl.__version__, file=awcl.__file__, all=awcl.__all__,
              functions=[callable(f) and not isinstance(f, type(awcl)) for f in (read_frames, make_phantoms, frame_cache, preset_config, pretrain, evaluate, run_study, load_encoder)],
              same_class=PC is PretrainConfig, modules=isinstance(p, types.ModuleType) and isinstance(e, types.ModuleType) and p.PretrainConfig is PretrainConfig and e.evaluate is evaluate,
              notebook=str(res.files('awcl')/'study.ipynb'), study_notebook=str(study_notebook()),
              kernel=dict(argv0=spec.argv[0], resource_dir=spec.resource_dir))))'''
    with phase(installed.times, 'import awcl and its API in the venv'):
        got = json.loads(in_venv(installed, installed.py, '-c', code).stdout.strip().splitlines()[-1])
    assert got['version'] == settings_version()
    assert Path(got['file']).is_relative_to(installed.site), got['file']   # the installed copy, not the checkout
    assert all(got['functions']) and got['same_class'] and got['modules'], got
    assert {'read_frames', 'evaluate', 'run_study', 'load_encoder'} <= set(got['all'])
    nb = Path(got['notebook'])
    assert nb.is_file() and nb.is_relative_to(installed.site) and Path(got['study_notebook']) == nb, got
    k = got['kernel']   # papermill's `python3` kernel is the venv's python
    assert k['argv0'] in ('python', 'python3') or Path(k['argv0']).is_relative_to(installed.venv), k


@pytest.mark.parametrize('script', SCRIPTS)
def test_console_script_help(installed, script):
    exe = installed.venv/'bin'/script
    assert exe.is_file(), f'{script} is not installed'
    with phase(installed.times, f'{script} --help'):
        r = in_venv(installed, exe, '--help', timeout=300)
    assert r.stdout.startswith(f'usage: {script}'), r.stdout[:500]


def _rows(res:pd.DataFrame) -> list:   # as tests/test_study.py compares results.csv with its reference
    key, metrics = ['name', 'task', 'protocol', 'seed'], ['accuracy', 'macro_f1', 'macro_precision', 'macro_recall', 'dice', 'iou', 'hc_mae_mm']
    keep = res[key + metrics].sort_values(key)
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in keep.to_dict('records')]


def test_study_from_the_wheel(installed, smoke_study):
    "The installed `awcl-study` (its packaged notebook, no checkout) gives the shared smoke study's rows for the encoders it runs."
    out, sub = installed.tmp/'study', ['-p', 'methods', "['random', 'simclr']", '-p', 'tasks', "['planes', 'hcseg']"]
    with phase(installed.times, 'awcl-study --preset smoke (random, simclr; planes, hcseg) in the venv'):
        in_venv(installed, installed.venv/'bin'/'awcl-study', '--preset', 'smoke', '--out', out, *sub, timeout=1800)
    for f in ['study.ipynb', 'results.csv', 'scores.csv', 'summary.md', 'study.json', 'forest.png']: assert (out/f).is_file(), f
    assert json.loads((out/'study.json').read_text())['provenance']['git_commit'] is None   # the installed copy: no checkout
    print('wheel test: timings (s):', json.dumps(installed.times))
    if UNPINNED: print('wheel test: unpinned dependencies: results not compared with the checkout\'s'); return
    got, shared = pd.read_csv(out/'results.csv'), pd.read_csv(smoke_study/'results.csv')
    want = shared[shared.name.isin(got.name) & shared.task.isin(got.task)]
    assert len(got) == len(want) == 2 * 5, (len(got), len(want))
    diffs = close(_rows(got), _rows(want))
    assert not diffs, "the installed study differs from the checkout's smoke study:\n" + '\n'.join(diffs[:20])


def test_sdist_carries_the_study_notebook(tmp_path):
    "The sdist holds what setup.py reads and the study notebook; a wheel built from it holds awcl/study.ipynb."
    sd = Path(run([sys.executable, '-c', 'import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))',
                   tmp_path], 600, cwd=ROOT).stdout.strip().splitlines()[-1])
    sdist = tmp_path/sd.name
    members = {m.split('/', 1)[1] for m in tarfile.open(sdist).getnames() if '/' in m}
    assert {'setup.py', 'settings.ini', 'README.md', 'nbs/33_study.ipynb', 'awcl/__init__.py'} <= members, sorted(members)
    run([sys.executable, *PIP, 'wheel', sdist, '--no-deps', '-w', tmp_path/'dist', '-q'], 600, cwd=tmp_path)
    wheel, = (tmp_path/'dist').glob('awcl-*.whl')
    assert zipfile.ZipFile(wheel).read('awcl/study.ipynb') == (ROOT/'nbs'/'33_study.ipynb').read_bytes()
