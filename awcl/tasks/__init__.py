"""Downstream evaluation of an encoder: protocols apart from tasks, as lightly keeps them.

    protocols  frozen features (one BatchNorm rule), linear probe, k-NN, fine-tuning
    decoders   head-segmentation models and their two protocols (frozen light decoder, fine-tuned U-Net)
    classify   standard planes and fine-grained brain planes
    segment    head segmentation on HC18 and phantoms: Dice, IoU, head circumference in mm
    evaluate   `evaluate` (any task, any protocol) and `awcl-eval`"""
# Hand-written, as awcl/__init__.py: the subpackage's public names, each loaded from its module on first use.
import importlib as _importlib

_API = {'extract_features': 'protocols', 'linear_probe': 'protocols', 'knn_probe': 'protocols', 'finetune': 'protocols',
        'run_classification': 'classify', 'run_segmentation': 'segment', 'evaluate_many': 'evaluate'}
__all__ = list(_API)

def __getattr__(name):
    "Load a public name from its module on first use."
    if name not in _API: raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(_importlib.import_module(f'{__name__}.{_API[name]}'), name)

def __dir__(): return sorted(set(globals()) | set(__all__))
