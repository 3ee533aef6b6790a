#!/usr/bin/env bash
# awcl's one test command (README.md; .ci/run calls it). In this order:
#   0. a virtual environment .venv with awcl and its dev requirements installed (created when absent);
#   1. notebooks and awcl/ in sync: nbdev-export changes nothing;
#   2. notebooks clean: nbdev-clean changes nothing; README.md generated from nbs/index.ipynb;
#   3. nbdev-test over nbs/ (cells flagged `slow` or `gpu` are skipped);
#   4. pytest tests/ on 2 workers (an empty collection is a failure, not a pass).
set -euo pipefail
cd "$(dirname "$0")/.."
# One torch/OpenMP thread per process: nbdev-test runs notebooks in parallel, and oversubscribed OpenMP threads
# slow torch on a 2-core machine by an order of magnitude. Results do not depend on it.
export MPLBACKEND=Agg PYTHONHASHSEED=0 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
step() { printf '\n== %s\n' "$*"; }

step "environment"
if [[ ! -x .venv/bin/python ]]; then "${PYTHON:-python3}" -m venv .venv; fi
# shellcheck disable=SC1091
. .venv/bin/activate
start=$(date +%s)
pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
python -c "import awcl, torch, fastai, nbdev, papermill; print('awcl', awcl.__version__, '| torch', torch.__version__, '| fastai', fastai.__version__, '| nbdev', nbdev.__version__)"
echo "install: $(( $(date +%s) - start )) s"

snapshot() { find awcl nbs -type f \( -name '*.py' -o -name '*.ipynb' \) -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z | xargs -0 sha1sum; }

step "1. notebooks and awcl/ in sync (nbdev-export leaves no diff)"
before=$(snapshot); nbdev-export; after=$(snapshot)
if [[ "$before" != "$after" ]]; then
  echo "FAIL: nbdev-export changed these files; export, review and commit them together:"; diff <(echo "$before") <(echo "$after") || true; exit 1
fi
echo ok

step "2. notebooks clean (nbdev-clean leaves no diff)"
before=$(snapshot); nbdev-clean; after=$(snapshot)
if [[ "$before" != "$after" ]]; then
  echo "FAIL: nbdev-clean changed these files; commit the cleaned notebooks:"; diff <(echo "$before") <(echo "$after") || true; exit 1
fi
echo ok

step "2b. README.md is what nbs/index.ipynb gives (tools/make-readme)"
python tools/make-readme --check

step "3. nbdev-test (skipping cells flagged slow/gpu)"
start=$(date +%s)
nbdev-test --timing
echo "nbdev-test: $(( $(date +%s) - start )) s"

step "4. pytest tests/"
start=$(date +%s)
# Two workers (pytest-xdist), each test file kept on one worker (its module fixtures built once): the slow files
# (the wheel's fresh venv, the docs build, the study) run side by side, the longest first (tests/conftest.py's
# LONGEST_FIRST; --no-loadscope-reorder keeps that order). PYTEST_WORKERS=0 runs serially.
workers=${PYTEST_WORKERS:-2}
xdist=(); if [[ "$workers" != 0 ]]; then xdist=(-n "$workers" --dist loadfile --no-loadscope-reorder); fi
set +e; python -m pytest tests/ -q -p no:cacheprovider --durations 12 "${xdist[@]}" "$@"; rc=$?; set -e
echo "pytest: $(( $(date +%s) - start )) s"
if [[ $rc -eq 5 ]]; then echo "FAIL: pytest collected no tests"; exit 1; fi
exit $rc
