"""Render awcl's documentation offline, without quarto: execute each notebook and write it as HTML to `_docs/`.

Where quarto is installed, `nbdev-docs` builds the full site; this script is the fallback that needs only Python
packages (nbclient, nbconvert). It follows nbdev's conventions: cells marked `#| hide` are dropped, other `#|`
directive lines are removed (hidden cells still run), and the cells that `nbdev-test` skips (`#| eval: false`, flagged
`slow`/`gpu`) are shown but not run. The study notebook is rendered from an executed copy when one is given
(`--study runs/study/study.ipynb`), else shown unexecuted.

    python tools/render_docs.py            # -> _docs/index.html and one page per notebook
"""
import argparse, html, os, re, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbdev.config import get_config
from nbdev.test import nb_test_cells
from awcl.study import INLINE_BACKEND

ROOT = Path(__file__).resolve().parent.parent
_directive = re.compile(r'^\s*#\|\s*(.*)$')


def page_name(nb:Path) -> str:
    "`12_pretrain.ipynb` -> `pretrain.html`, as nbdev names doc pages."
    return re.sub(r'^\d+[a-zA-Z]?_', '', nb.stem) + '.html'


def prepare(nb_path:Path) -> tuple:
    """Read `nb_path` and strip its directive lines; return the notebook, the cells not to execute (those `nbdev-test`
    skips: flagged with a `tst_flags` name or `eval: false`, decided by nbdev itself) and the cells to hide after
    execution."""
    runs = {c.id for c in nb_test_cells(nb_path, skip_flags=get_config(path=ROOT).tst_flags)}
    nb = nbformat.read(nb_path, as_version=4)
    no_exec = {i for i, c in enumerate(nb.cells) if c.cell_type == 'code' and c.id not in runs}
    hide = set()
    for i, c in enumerate(nb.cells):
        if c.cell_type == 'raw' and c.source.startswith('---'): hide.add(i)   # nbdev frontmatter
        if c.cell_type != 'code': continue
        lines = c.source.splitlines()
        dirs = [m.group(1).strip() for m in map(_directive.match, lines) if m]
        if 'hide' in dirs or (dirs and len(lines) == len(dirs)): hide.add(i)
        c.source = '\n'.join(l for l in lines if not _directive.match(l)).strip()
    return nb, no_exec, hide


def figures(nb) -> int:
    "How many image outputs the notebook `nb` holds."
    return sum(any(k.startswith('image/') for k in o.get('data', {})) for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', []))


def render(nb_path:Path, out:Path, nav:str, execute:bool=True, timeout:int=900) -> tuple:
    "Write `nb_path` (executed unless `execute` is false) as an HTML page in `out`; return (seconds, figures)."
    t = time.time()
    nb, no_exec, hide = prepare(nb_path)
    if execute:
        skipped = {i: nb.cells[i] for i in no_exec}
        for i in no_exec: nb.cells[i] = nbformat.v4.new_markdown_cell('')
        NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(nb_path.parent)}}).execute()
        for i, c in skipped.items(): nb.cells[i] = c
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in hide]
    body, _ = HTMLExporter(template_name='lab').from_notebook_node(nb)
    body = body.replace('<body', '<body', 1).replace('<main>', f'<main>{nav}', 1) if '<main>' in body else body.replace('<body>', f'<body>{nav}', 1)
    (out/page_name(nb_path)).write_text(body, encoding='utf-8')
    return time.time() - t, figures(nb)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(ROOT/'_docs'))
    ap.add_argument('--study', default=None, help='an executed study notebook to render in place of nbs/30_study.ipynb')
    ap.add_argument('--only', nargs='*', default=None, help='notebook stems to render (default: all)')
    a = ap.parse_args()
    # Kernels inherit this environment: a caller's MPLBACKEND=Agg would leave every page without its figures.
    os.environ['MPLBACKEND'] = INLINE_BACKEND
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    nbs = sorted((ROOT/'nbs').glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.stem))
    links = ' | '.join(f'<a href="{page_name(p)}">{html.escape(page_name(p)[:-5])}</a>' for p in nbs)
    nav = f'<nav style="padding:8px 16px;border-bottom:1px solid #ddd;font-family:sans-serif;font-size:14px"><b>awcl</b> &nbsp; {links}</nav>'
    for p in nbs:
        if a.only and p.stem not in a.only: continue
        if p.stem == '30_study':
            src = Path(a.study) if a.study else p
            secs, figs = render(src, out, nav, execute=False)
            if src.name != p.name: (out/page_name(src)).rename(out/page_name(p))
        else: secs, figs = render(p, out, nav)
        print(f'{page_name(p):<24} {secs:6.1f} s  {figs:3d} figures', flush=True)
    print(f'docs written to {out}/index.html')


if __name__ == '__main__': sys.exit(main())
