"""awcl: anatomy-aware contrastive learning (AWCL) for fetal ultrasound.

The pipeline is four subpackages, in the order the data flow through them:

    awcl.data      frame tables: readers per source (FETAL_PLANES_DB, HC18, class folders, csv, video, DICOM),
                   synthetic phantoms, the memory-mapped frame cache and its loader
    awcl.pretrain  the anatomy sampler, the encoder, the methods (views, SupCon loss, positives, fastai callback),
                   checkpoints, and the run (`Learner`, `pretrain`, `awcl-pretrain`)
    awcl.tasks     downstream protocols (linear, k-NN, fine-tune, segmentation decoders) and tasks (planes, brain,
                   head segmentation; `evaluate`, `awcl-eval`)
    awcl.study     statistics (paired intervals, verdicts) and the study runner (`awcl-study`)

The everyday API, importable from `awcl` itself (each name is loaded from its module on first use, so `import awcl`
stays light):

    read_frames(root)                 a dataset folder or csv -> frame table        (awcl.data.table)
    make_phantoms(out)                synthetic fetal ultrasound phantoms           (awcl.data.phantoms)
    default_phantoms()                the cached phantom default dataset            (awcl.data.phantoms)
    frame_cache(df, size)             the memory-mapped frame cache of a table      (awcl.data.cache)
    PretrainConfig, preset_config     pretraining settings and their presets       (awcl.pretrain.run)
    evaluate(df, task, encoder, ...)  a downstream task under a protocol            (awcl.tasks.evaluate)
    run_study(preset, out)            the study notebook, executed with papermill   (awcl.study.run)
    create_encoder, load_encoder, save_encoder   the ResNet encoder                 (awcl.pretrain.models)
    AwclError                         the error raised for bad input                (awcl.core)

Pretraining itself is `awcl.pretrain.pretrain(df, cfg, out)` (`awcl.pretrain` is the subpackage).
"""
# The one hand-written module of awcl/ with the subpackages' __init__.py: every other module is exported from nbs/ by
# nbdev-export. The version's single home is settings.ini (read by setup.py); the installed metadata carries it here.
from importlib.metadata import version as _version, PackageNotFoundError as _NotInstalled
try: __version__ = _version('awcl')
except _NotInstalled: __version__ = '0+unknown'

import importlib as _importlib, sys as _sys

def _lazy_api(package:str, api:dict):
    "The `__getattr__` and `__dir__` of `package` that load each public name of `api` (name -> module) on first use."
    def __getattr__(name):
        if name not in api: raise AttributeError(f'module {package!r} has no attribute {name!r}')
        return getattr(_importlib.import_module(f'{package}.{api[name]}'), name)
    def __dir__(): return sorted(set(vars(_sys.modules[package])) | set(api))
    return __getattr__, __dir__

_API = {  # public name -> the module that defines it
    'read_frames': 'data.table', 'make_phantoms': 'data.phantoms', 'default_phantoms': 'data.phantoms',
    'frame_cache': 'data.cache', 'PretrainConfig': 'pretrain.run', 'preset_config': 'pretrain.run',
    'evaluate': 'tasks.evaluate', 'run_study': 'study.run', 'create_encoder': 'pretrain.models',
    'load_encoder': 'pretrain.models', 'save_encoder': 'pretrain.models', 'AwclError': 'core',
}
__all__ = list(_API)
__getattr__, __dir__ = _lazy_api(__name__, _API)
