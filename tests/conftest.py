"""Shared test helpers: run an installed awcl command, check a one-line error, and compare results with a stored
reference (`tests/reference/<cpu kind>/*.json`).

References: runs are deterministic on one CPU kind (every random choice flows from the seed), so numbers must match to
within `TOL` = 1e-3 absolute; strings, integers and the shape of the output must match exactly. Another CPU kind's
floating-point kernels train to other numbers (a smoke run's accuracy on six test frames moves by whole frames), so
each CPU kind (`awcl.core.cpu_model`, as a folder name) has its own references. On a kind with none the comparison is
skipped with a note naming the kind (same-seed reproducibility on that machine is still checked by `test_resume.py`):
record them there. A change that alters results must update the references deliberately, on every recorded kind:

    AWCL_UPDATE_REFERENCE=1 python -m pytest tests/
"""
import json, math, os, shutil, subprocess, sys, time
from pathlib import Path
import pytest


def exe(name:str) -> str:
    "The console script `name` of the running interpreter's environment (else the one on PATH)."
    p = Path(sys.executable).parent/name
    if p.exists(): return str(p)
    found = shutil.which(name)
    if found is None: pytest.fail(f'{name} is not installed: run `pip install -e .` in the project root')
    return found


def run_cli(name:str, *args, env=None, timeout=300, cwd=None) -> subprocess.CompletedProcess:
    "Run the installed command `name` with `args`, capturing text output."
    return subprocess.run([exe(name), *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def assert_one_line_error(r:subprocess.CompletedProcess, prog:str, *names):
    "Non-zero exit, stderr one line `PROG: error: ...` naming each of `names`, no traceback."
    assert r.returncode != 0, r
    assert 'Traceback' not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f'{prog}: error:'), r.stderr
    for n in names: assert str(n) in lines[0], (n, r.stderr)


def cache_env(path, **extra) -> dict:
    "This process's environment with a private frame cache at `path` and one OpenMP thread (two can be many times slower on a busy shared CPU), plus `extra`."
    return {**os.environ, 'AWCL_CACHE': str(path), 'OMP_NUM_THREADS': '1', **extra}


@pytest.fixture(scope='session')
def phantom_set(tmp_path_factory):
    "`phantom_set(n_scans, frames_per_scan)`: the folder of a tiny phantom set at 48 px, seed 0, made once per session and size."
    made = {}
    def make(n_scans:int, frames_per_scan:int, size:int=48) -> Path:
        if (key := (n_scans, frames_per_scan, size)) not in made:
            from awcl.data.phantoms import make_phantoms
            made[key] = tmp_path_factory.mktemp('phantoms')/'ph'
            make_phantoms(made[key], n_scans=n_scans, frames_per_scan=frames_per_scan, size=size, seed=0)
        return made[key]
    return make


TOL = 1e-3


def cpu_kind() -> str:
    "This machine's CPU model as a folder name: `Intel(R) Xeon(R) Processor` -> `intel-r-xeon-r-processor`."
    import re
    from awcl.core import cpu_model
    return re.sub(r'[^a-z0-9]+', '-', cpu_model().lower()).strip('-') or 'unknown-cpu'


REF = Path(__file__).parent/'reference'/cpu_kind()


def finite(x) -> bool:
    "Every number in the JSON value `x` is finite."
    if isinstance(x, dict): return all(finite(v) for v in x.values())
    if isinstance(x, list): return all(finite(v) for v in x)
    return not (isinstance(x, float) and not math.isfinite(x))


def close(got, want, path='') -> list:
    "Differences between JSON values `got` and `want`: floats within `TOL`, everything else exactly."
    if isinstance(want, dict):
        if not isinstance(got, dict) or sorted(got) != sorted(want): return [f'{path}: keys {got!r} != {want!r}']
        return [d for k in want for d in close(got[k], want[k], f'{path}.{k}')]
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want): return [f'{path}: {got!r} != {want!r}']
        return [d for i, (g, w) in enumerate(zip(got, want)) for d in close(g, w, f'{path}[{i}]')]
    if isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        return [] if abs(got - want) <= TOL else [f'{path}: {got} != {want} (tolerance {TOL})']
    return [] if got == want else [f'{path}: {got!r} != {want!r}']


def check_reference(name:str, got):
    "Compare the JSON value `got` with `tests/reference/<cpu kind>/{name}.json`, or rewrite that file when `AWCL_UPDATE_REFERENCE` is set."
    ref = REF/f'{name}.json'
    if os.environ.get('AWCL_UPDATE_REFERENCE'):
        REF.mkdir(parents=True, exist_ok=True)
        ref.write_text(json.dumps(got, indent=1) + '\n'); pytest.skip(f'reference rewritten: {ref}')
    if not ref.is_file():
        msg = (f'no reference {ref.name} for this CPU kind ({REF.name}): numbers reproduce on one CPU kind only; '
               f'record them with AWCL_UPDATE_REFERENCE=1 python -m pytest tests/')
        pytest.skip(msg)
    diffs = close(got, json.loads(ref.read_text()))
    assert not diffs, f'{name} differs from {ref.name}:\n' + '\n'.join(diffs[:20])


# The test files that take longest, in the order they start (the rest follow, in collection order): on 2 workers the
# last file to start should be a short one, or one worker idles while the other finishes. `tests/run.sh` passes
# `--no-loadscope-reorder` so that pytest-xdist keeps this order. The docs and study files need the smoke study,
# done by the time they start (it runs in the background from the session's start: `smoke_in_background`).
LONGEST_FIRST = ['test_resume.py', 'test_notebooks.py', 'test_docs.py', 'test_pretrain_cli.py', 'test_eval_cli.py',
                 'test_study.py', 'test_real.py', 'test_wheel.py']


def pytest_collection_modifyitems(session, config, items):
    "Order the files as `LONGEST_FIRST` says (a stable sort: the tests of a file keep their order)."
    rank = {f: i for i, f in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda it: rank.get(it.path.name, len(rank)))


def _smoke_root(tmp_path_factory, worker_id) -> Path:
    "The folder of the shared smoke study: one for the whole run, across pytest-xdist workers."
    base = tmp_path_factory.getbasetemp()
    root = (base if worker_id == 'master' else base.parent)/'shared-smoke'
    root.mkdir(exist_ok=True)
    return root


def _run_smoke(root:Path):
    """Run `awcl-study --preset smoke` into `root/'smoke'` unless it is done, under `root`'s file lock (so a second
    caller waits for the run in flight). Its output goes to a log file; a failure leaves the log's end in `root/'failed'`."""
    from filelock import FileLock
    out, log, polls = root/'smoke', root/'awcl-study.log', []
    with FileLock(str(root/'.lock')):
        if (root/'done').is_file() or (root/'failed').is_file(): return
        shutil.rmtree(out, ignore_errors=True)
        env = cache_env(root/'cache')
        with open(log, 'w') as f:
            # as README's own command runs it: a relative --out (papermill moves the process into the output folder,
            # which once kept every progress line from the log until the end), stdout redirected to a file
            p = subprocess.Popen([exe('awcl-study'), '--preset', 'smoke', '--out', out.name], stdout=f,
                                 stderr=subprocess.STDOUT, env=env, cwd=root)
            t0 = time.time()
            while p.poll() is None:   # how many lines the log holds while the command runs
                polls.append((round(time.time() - t0, 1), log.read_text().count('\n'))); time.sleep(0.5)
        if p.returncode != 0:
            (root/'failed').write_text(f'exit {p.returncode}:\n' + log.read_text()[-3000:]); return
        (root/'polls.json').write_text(json.dumps(polls))
        (root/'done').touch()


@pytest.fixture(scope='session', autouse=True)
def smoke_in_background(request, tmp_path_factory, worker_id):
    """Start the shared smoke study as the session starts, in a thread of the first worker to get here, when any
    collected test needs it: the tests that need it later find it done (or wait for the rest of it), and no worker
    idles for a minute and a half waiting for it, as one did when the first test to ask ran it."""
    thread = None
    if any('smoke_study' in getattr(it, 'fixturenames', ()) for it in request.session.items):
        root = _smoke_root(tmp_path_factory, worker_id)
        try: os.close(os.open(root/'started', os.O_CREAT | os.O_EXCL))
        except FileExistsError: pass
        else:
            import threading
            thread = threading.Thread(target=_run_smoke, args=(root,), name='smoke-study', daemon=True)
            thread.start()
    yield
    if thread: thread.join()


@pytest.fixture(scope='session')
def smoke_study(tmp_path_factory, worker_id) -> Path:
    """One `awcl-study --preset smoke` for the whole test run, shared by the study, wheel and docs tests (and across
    pytest-xdist workers): started in the background as the session starts (`smoke_in_background`), or run here
    when no run is in flight. It runs as a user runs it, its output going to a log file, and records how many lines the
    log held while it ran (`polls.json`), so that a test can check that progress streams. Its phantoms and frames are
    cached in `cache/` beside it."""
    root = _smoke_root(tmp_path_factory, worker_id)
    _run_smoke(root)   # waits for the run in flight, or runs it
    if (root/'failed').is_file(): pytest.fail('awcl-study --preset smoke failed, ' + (root/'failed').read_text())
    return root/'smoke'
