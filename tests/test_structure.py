"""The package's layout: no import cycle among awcl's modules, counting imports inside functions too (a lazy import
hides a cycle from Python, not from a reader), and no module a newcomer cannot read in one sitting (at most
`MAX_LINES` lines; `_modidx.py`, nbdev's generated index, excepted)."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent/'awcl'
MAX_LINES = 400


def imports(path:Path) -> set:
    "The awcl modules that the module at `path` imports anywhere in its body (the package `awcl` itself excluded)."
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module: out.add(node.module.split('.')[0])
            elif node.level == 1: out.update(a.name for a in node.names)
            elif node.module and node.module.startswith('awcl.'): out.add(node.module.split('.')[1])
            elif node.module == 'awcl': out.update(a.name for a in node.names if (PKG/f'{a.name}.py').exists())
        elif isinstance(node, ast.Import):
            out.update(a.name.split('.')[1] for a in node.names if a.name.startswith('awcl.'))
    return out - {path.stem}


def graph() -> dict:
    return {p.stem: imports(p) for p in sorted(PKG.glob('*.py')) if p.stem not in ('__init__', '_modidx')}


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
    assert {'core'} <= g['data'] and 'video' in g['data'] and 'core' in g['video']   # lazy imports are seen


def test_no_import_cycle_among_awcl_modules():
    found = cycles(graph())
    assert not found, 'import cycles: ' + '; '.join(' -> '.join(c) for c in found)


def long_modules(pkg:Path=PKG, limit:int=MAX_LINES) -> dict:
    "The modules of `pkg` longer than `limit` lines (`_modidx.py` excepted), with their line counts."
    n = {p.name: len(p.read_text().splitlines()) for p in sorted(pkg.glob('*.py')) if p.name != '_modidx.py'}
    return {k: v for k, v in n.items() if v > limit}


def test_the_length_check_finds_long_modules(tmp_path):
    (tmp_path/'short.py').write_text('x = 1\n' * 3)
    (tmp_path/'long.py').write_text('x = 1\n' * 5)
    (tmp_path/'_modidx.py').write_text('x = 1\n' * 9)
    assert long_modules(tmp_path, limit=4) == {'long.py': 5}


def test_no_module_above_the_line_limit():
    found = long_modules()
    assert not found, f'modules above {MAX_LINES} lines (split them by concept, notebook first): {found}'
