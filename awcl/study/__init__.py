"""The study: paired comparisons with their uncertainty, and the runner of the study notebook.

    stats     paired differences with intervals over test scans and seeds, power, the anatomy-ratio trend
    verdicts  the study's verdicts on the paper's claims: a table, its markdown, the forest plot
    run       study presets and parameters, the partition by scan, `run_study`, `awcl-study`"""
# Hand-written, as awcl/__init__.py: the subpackage's public names, each loaded from its module on first use.
from awcl import _lazy_api

_API = {'run_study': 'run', 'STUDY_PRESETS': 'run', 'paired_difference': 'stats', 'study_verdicts': 'verdicts', 'forest_plot': 'verdicts'}
__all__ = list(_API)
__getattr__, __dir__ = _lazy_api(__name__, _API)
