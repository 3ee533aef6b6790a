"Shared helpers for the command-line tests: run an installed awcl command, check a one-line error."
import shutil, subprocess, sys
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
