"""Contrastive pretraining: one step, from the frame table to the loss, crosses run -> data.cache -> method -> sampler.

    sampler      the anatomy sampler: each frame's partner and loss label, and the batch samplers
    models       the ResNet encoder (random, ImageNet, an encoder.pth), projector, saving and loading
    method       AWCL and its baselines as the positives they draw: views, SupCon loss, `METHODS`, the fastai callback
    checkpoints  the run folder's statistics, checkpoints, resume checks
    run          `PretrainConfig` and presets, the fastai `Learner`, `pretrain`, `awcl-pretrain`"""
# Hand-written, as awcl/__init__.py: the subpackage's public names, each loaded from its module on first use.
from awcl import _lazy_api

_API = {'pretrain': 'run', 'PretrainConfig': 'run', 'preset_config': 'run', 'PRESETS': 'run', 'METHODS': 'method',
        'create_encoder': 'models', 'load_encoder': 'models', 'save_encoder': 'models'}
__all__ = list(_API)
__getattr__, __dir__ = _lazy_api(__name__, _API)
