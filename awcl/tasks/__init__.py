"""Downstream evaluation of an encoder: protocols apart from tasks, as lightly keeps them.

    protocols  frozen features (one BatchNorm rule), linear probe, k-NN, fine-tuning
    decoders   head-segmentation models and their two protocols (frozen light decoder, fine-tuned U-Net)
    classify   standard planes and fine-grained brain planes
    segment    head segmentation on HC18 and phantoms: Dice, IoU, head circumference in mm
    evaluate   `evaluate` (any task, any protocol) and `awcl-eval`"""
# Hand-written, as awcl/__init__.py: the subpackage's public names, each loaded from its module on first use.
from awcl import _lazy_api

_API = {'extract_features': 'protocols', 'linear_probe': 'protocols', 'knn_probe': 'protocols', 'finetune': 'protocols',
        'run_classification': 'classify', 'run_segmentation': 'segment', 'evaluate_many': 'evaluate'}
__all__ = list(_API)
__getattr__, __dir__ = _lazy_api(__name__, _API)
