"""The study: paired comparisons with their uncertainty, and the runner of the study notebook.

    stats     paired differences with intervals over test scans and seeds, power, the anatomy-ratio trend
    verdicts  the study's verdicts on the paper's claims: a table, its markdown, the forest plot
    run       study presets and parameters, the partition by scan, `run_study`, `awcl-study`"""
# Hand-written, as awcl/__init__.py: the subpackage's public names, each loaded from its module on first use.
import importlib as _importlib

_API = {'run_study': 'run', 'STUDY_PRESETS': 'run', 'paired_difference': 'stats', 'study_verdicts': 'verdicts', 'forest_plot': 'verdicts'}
__all__ = list(_API)

def __getattr__(name):
    "Load a public name from its module on first use."
    if name not in _API: raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(_importlib.import_module(f'{__name__}.{_API[name]}'), name)

def __dir__(): return sorted(set(globals()) | set(__all__))
