"""Frame tables, the one currency between steps.

    schema    the frame table's columns and the csv reading every reader shares
    readers   one reader per source: FETAL_PLANES_DB, HC18, class folders, csv tables; grey images and HC18 masks
    video     scan videos and DICOM cine loops: every `every`-th frame, labels from a csv
    table     `read_frames` (any source -> frame table), checks, splits by scan, the label budget, `awcl-data`
    cache     the memory-mapped frame cache, its dataset and loader, shared by pretraining and every task
    scenes    the drawing of fetal ultrasound phantoms
    phantoms  phantom scan sweeps (`make_phantoms`, `awcl-synth`) and the study's default sets"""
# Hand-written, as awcl/__init__.py: the subpackage's public names, each loaded from its module on first use.
from awcl import _lazy_api

_API = {'read_frames': 'table', 'split_by_scan': 'table', 'check_scan_disjoint': 'table', 'frame_cache': 'cache',
        'load_frames': 'cache', 'make_phantoms': 'phantoms', 'default_phantoms': 'phantoms'}
__all__ = list(_API)
__getattr__, __dir__ = _lazy_api(__name__, _API)
