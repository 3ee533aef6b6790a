"""awcl: anatomy-aware contrastive learning (AWCL) for fetal ultrasound.

The public API, importable from `awcl` itself (each name is loaded from its module on first use, so `import awcl` stays
light):

    read_frames(root)                 a dataset folder or csv -> frame table        (awcl.data)
    make_phantoms(out)                synthetic fetal ultrasound phantoms           (awcl.synthetic)
    default_phantoms()                the cached phantom default dataset            (awcl.pretrain)
    frame_cache(df, size)             the memory-mapped frame cache of a table      (awcl.cache)
    PretrainConfig, preset_config     pretraining settings and their presets       (awcl.pretrain)
    pretrain(df, cfg, out)            contrastive pretraining -> out/encoder.pth    (awcl.pretrain)
    evaluate(df, task, encoder, ...)  a downstream task under a protocol            (awcl.evaluate)
    run_study(preset, out)            the study notebook, executed with papermill   (awcl.study)
    create_encoder, load_encoder, save_encoder   the ResNet encoder                 (awcl.models)
    AwclError                         the error raised for bad input                (awcl.core)

`awcl.pretrain` and `awcl.evaluate` are these functions; their modules are `sys.modules['awcl.pretrain']` and
`sys.modules['awcl.evaluate']`, and `from awcl.pretrain import PretrainConfig` works as usual.
"""
# The one hand-written file in awcl/: every other module is exported from nbs/ by nbdev-export.
# The version's single home is settings.ini (read by setup.py); the installed metadata carries it here. It comes first:
# modules do `import awcl` for it.
from importlib.metadata import version as _version, PackageNotFoundError as _NotInstalled
try: __version__ = _version('awcl')
except _NotInstalled: __version__ = '0+unknown'

import importlib as _importlib, sys as _sys, types as _types

_API = {  # public name -> the module that defines it
    'read_frames': 'data', 'make_phantoms': 'synthetic', 'default_phantoms': 'pretrain', 'frame_cache': 'cache',
    'PretrainConfig': 'pretrain', 'preset_config': 'pretrain', 'pretrain': 'pretrain', 'evaluate': 'evaluate',
    'run_study': 'study', 'create_encoder': 'models', 'load_encoder': 'models', 'save_encoder': 'models',
    'AwclError': 'core',
}
__all__ = list(_API)

def __getattr__(name):
    "Load a public name from its module on first use."
    if name not in _API: raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(_importlib.import_module(f'{__name__}.{_API[name]}'), name)
    globals()[name] = value
    return value

def __dir__(): return sorted(set(globals()) | set(__all__))

class _Package(_types.ModuleType):
    """awcl's module type. Importing a submodule sets it as an attribute of its package; for the submodules named like
    the function they define (`pretrain`, `evaluate`) the package keeps the function, whatever the order of imports."""
    def __setattr__(self, name, value):
        if (_API.get(name) == name and isinstance(value, _types.ModuleType)
                and value.__name__ == f'{__name__}.{name}' and hasattr(value, name)):
            value = getattr(value, name)
        super().__setattr__(name, value)

_sys.modules[__name__].__class__ = _Package
