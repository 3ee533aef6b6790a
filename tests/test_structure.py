"""The package's layout, as a newcomer meets it:

- subpackages in pipeline order (`data`, `pretrain`, `tasks`, `study`), each a real module (`import awcl.pretrain as p`
  gives the subpackage, never a function of it);
- no import cycle among awcl's modules, counting imports inside functions too (a lazy import hides a cycle from Python,
  not from a reader);
- no module imports an awcl name only to pass it on: every name a module imports from awcl is used in it;
- no module a newcomer cannot read in one sitting (at most `MAX_LINES` lines; `_modidx.py`, nbdev's index, excepted);
- one pretraining step, frame table to loss, crosses at most `MAX_STEP_MODULES` modules.
"""
import ast, importlib, types
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent/'awcl'
MAX_LINES = 400
SUBPACKAGES = ('data', 'pretrain', 'tasks', 'study')


def modules(pkg:Path=PKG) -> dict:
    "Dotted module name (`pretrain.run`) -> path, for every module of `pkg` but `__init__` files and `_modidx`."
    return {'.'.join(p.relative_to(pkg).with_suffix('').parts): p for p in sorted(pkg.rglob('*.py'))
            if p.stem not in ('__init__', '_modidx')}


def _absolute(mod:str, node:ast.ImportFrom) -> str:
    "The dotted awcl module (without `awcl.`) that `node` imports from, as seen from module `mod`."
    if node.level == 0: return (node.module or '').removeprefix('awcl').lstrip('.')
    base = mod.split('.')[:-node.level]
    return '.'.join(base + ([node.module] if node.module else []))


def imports(mod:str, path:Path) -> set:
    "The awcl modules that module `mod` imports anywhere in its body."
    known, out = modules(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or '').startswith('awcl')):
            m = _absolute(mod, node)
            for a in node.names:   # `from awcl.pretrain import run` imports the module `pretrain.run`
                sub = f'{m}.{a.name}' if m else a.name
                out.add(sub if sub in known else m)
        elif isinstance(node, ast.Import):
            out.update(a.name.removeprefix('awcl.') for a in node.names if a.name.startswith('awcl.'))
    return {m for m in out if m in known} - {mod}


def graph() -> dict: return {m: imports(m, p) for m, p in modules().items()}


def cycles(g:dict) -> list:
    "Every import cycle of `g`, each as a list of modules that starts and ends with the same one."
    found, state = [], {}
    def visit(m, stack):
        state[m] = 'open'; stack.append(m)
        for n in sorted(g.get(m, ())):
            if state.get(n) == 'open': found.append(stack[stack.index(n):] + [n])
            elif n not in state: visit(n, stack)
        stack.pop(); state[m] = 'done'
    for m in sorted(g):
        if m not in state: visit(m, [])
    return found


def test_the_cycle_finder_finds_cycles():
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == [['a', 'b', 'c', 'a']]
    assert cycles({'a': {'b'}, 'b': set(), 'c': {'a', 'b'}}) == []
    g = graph()
    assert {'core', 'data.readers'} <= g['data.table'] and 'data.video' in g['data.table']   # lazy imports are seen
    assert {'pretrain.method', 'data.cache'} <= g['pretrain.run']


def test_no_import_cycle_among_awcl_modules():
    found = cycles(graph())
    assert not found, 'import cycles: ' + '; '.join(' -> '.join(c) for c in found)


def test_subpackages_are_modules():
    assert set(SUBPACKAGES) <= {p.parent.name for p in PKG.glob('*/__init__.py')}
    for name in SUBPACKAGES:
        sub = importlib.import_module(f'awcl.{name}')
        assert isinstance(sub, types.ModuleType) and sub.__doc__, name
        for public in sub.__all__: getattr(sub, public)          # every name of its API resolves
    import awcl.pretrain as p
    assert isinstance(p, types.ModuleType) and p.PretrainConfig is importlib.import_module('awcl.pretrain.run').PretrainConfig


def passed_on(path:Path) -> list:
    "Names the module at `path` imports from awcl but never uses (imports that only pass a name on)."
    tree = ast.parse(path.read_text())
    imported = {a.asname or a.name: node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and (node.level or (node.module or '').startswith('awcl')) for a in node.names if a.name != '*'}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {n.value.id for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    strings = ' '.join(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return sorted(k for k in imported if k not in used and k not in strings.split())


def test_the_pass_on_check_finds_passed_on_names(tmp_path):
    f = tmp_path/'m.py'
    f.write_text('from .core import a, b\nfrom awcl.x import c\nimport os\n\ndef g(): return a(os)\n')
    assert passed_on(f) == ['b', 'c']


def test_no_module_passes_names_on():
    found = {m: n for m, p in modules().items() if (n := passed_on(p))}
    assert not found, f'imported but unused (import names from their home instead): {found}'


def long_modules(pkg:Path=PKG, limit:int=MAX_LINES) -> dict:
    "The modules of `pkg` longer than `limit` lines (`_modidx.py` excepted), with their line counts."
    n = {str(p.relative_to(pkg)): len(p.read_text().splitlines()) for p in sorted(pkg.rglob('*.py')) if p.name != '_modidx.py'}
    return {k: v for k, v in n.items() if v > limit}


def test_the_length_check_finds_long_modules(tmp_path):
    (tmp_path/'short.py').write_text('x = 1\n' * 3)
    (tmp_path/'long.py').write_text('x = 1\n' * 5)
    (tmp_path/'_modidx.py').write_text('x = 1\n' * 9)
    assert long_modules(tmp_path, limit=4) == {'long.py': 5}


def test_no_module_above_the_line_limit():
    found = long_modules()
    assert not found, f'modules above {MAX_LINES} lines (split them by concept, notebook first): {found}'


# One pretraining step, from the frame table to the loss: the functions it calls, by module. `pretrain` builds the
# Learner (`pretrain_learner`: the frame cache and its loader), the callback draws the epoch's pairs (the method's
# `pairs`, the anatomy sampler, the batch sampler), makes the views, and the loss compares them.
STEP = {'pretrain.run': ['pretrain', 'pretrain_learner'], 'data.cache': ['frame_cache', 'FrameData', 'Loader'],
        'pretrain.method': ['AWCLCallback', 'epoch_pairs', 'make_views', 'ContrastiveLoss', 'SupConLoss'],
        'pretrain.sampler': ['anatomy_partners', 'ShuffledBatchSampler', 'ClassBalancedBatchSampler']}
MAX_STEP_MODULES = 4


def test_one_pretraining_step_crosses_at_most_four_modules():
    assert len(STEP) <= MAX_STEP_MODULES
    for mod, names in STEP.items():   # each piece of the step lives where the map says
        m = importlib.import_module(f'awcl.{mod}')
        for n in names: assert getattr(m, n).__module__ == m.__name__, (mod, n)
    g = graph()
    assert set(STEP) - {'pretrain.run'} <= g['pretrain.run'] | g['pretrain.method']
