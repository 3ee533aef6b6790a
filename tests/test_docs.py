"""The documentation site in a real browser.

`tools/build-docs` builds the site into a temporary folder (or `AWCL_DOCS_DIR` names a site already built), Python's
`http.server` serves it on a free localhost port, and headless Chromium (Debian's `chromium` and `chromium-driver`,
driven by selenium) loads every page. Checked: no console error; every internal link and anchor resolves; every image
decodes; no raw `$...$` is left and pages with formulas hold MathML; nothing is fetched from the network; the sidebar
follows `_quarto.yml`. Screenshots go to `$AWCL_ARTIFACTS` (default `_artifacts/`). Without Chromium the tests are
skipped, except in CI (env `CI` set), where they fail.
"""
import functools, os, re, subprocess, sys, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
import nbformat, pytest, yaml
from nbdev.config import nbpath2html

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = Path('/usr/bin/chromium'), Path('/usr/bin/chromedriver')
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--window-size=1280,900',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1']   # any remote fetch fails, as a console error
# What one page tells about itself: its links, ids, images, MathML, text outside code, sidebar.
PAGE_JS = """
const text = document.body.cloneNode(true);
text.querySelectorAll('pre, code, math, script, style, nav').forEach(e => e.remove());
return {
  links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  ids: [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.getAttribute('name')),
  images: [...document.images].map(i => [i.getAttribute('src').slice(0, 80), i.complete ? i.naturalWidth : 0]),
  remote: [...document.querySelectorAll('script[src], link[href], img[src], iframe[src]')]
            .map(e => e.getAttribute('src') || e.getAttribute('href')).filter(u => /^(https?:)?\\/\\//.test(u)),
  math: document.querySelectorAll('math').length,
  text: text.textContent,
  sidebar: [...document.querySelectorAll('nav.sidebar a:not(.site-title)')].map(a => a.getAttribute('href')),
  active: [...document.querySelectorAll('nav.sidebar a.active')].map(a => a.getAttribute('href')),
};"""
_raw_math = re.compile(r'\$\$.+?\$\$|\$[^\s$](?:[^$\n]*?[^\s$])?\$', re.S)


def quarto_pages() -> list:
    "The notebooks of `_quarto.yml`'s sidebar, in order."
    def walk(items):
        for it in items:
            if isinstance(it, str): yield it
            elif 'href' in it: yield it['href']
            else: yield from walk(it.get('contents', []))
    return list(walk(yaml.safe_load((ROOT/'_quarto.yml').read_text())['website']['sidebar']['contents']))


def page_name(nb:str) -> str: return nbpath2html(nb).name   # 14_pretrain.run.ipynb -> pretrain.run.html


def has_math(nb:str) -> bool:
    "Does a markdown cell of notebook `nb` hold `$...$` outside code?"
    md = '\n'.join(c.source for c in nbformat.read(ROOT/'nbs'/nb, as_version=4).cells if c.cell_type == 'markdown')
    return bool(_raw_math.search(re.sub(r'```.*?```|`[^`]*`', '', md, flags=re.S)))


@pytest.fixture(scope='module')
def site(tmp_path_factory, smoke_study) -> Path:
    "The docs site, its study page the shared smoke study (conftest's `smoke_study`: run once for every test)."
    if os.environ.get('AWCL_DOCS_DIR'): return Path(os.environ['AWCL_DOCS_DIR'])
    _require_browser()   # no build for nothing
    out = tmp_path_factory.mktemp('docs')
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'build-docs'), '--out', str(out), '--study', str(smoke_study/'study.ipynb')],
                       capture_output=True, text=True)
    print(r.stdout)
    assert r.returncode == 0, f'tools/build-docs failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}'
    return out


def _require_browser():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try: import selenium  # noqa: F401
    except ImportError: missing.append('selenium (pip)')
    if not missing: return
    msg = f'browser test needs {", ".join(missing)} (apt-get install chromium chromium-driver)'
    if os.environ.get('CI'): pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope='module')
def base_url(site):
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    server = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}/'
    server.shutdown()


@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for a in ARGS + [f'--user-data-dir={tmp_path_factory.mktemp("chromium-profile")}']: opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'SEVERE'})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    yield driver
    driver.quit()


@pytest.fixture(scope='module')
def pages(site, base_url, browser) -> dict:
    "Every page of the site, loaded once: {page name: what PAGE_JS found, plus its SEVERE console messages}."
    art = Path(os.environ.get('AWCL_ARTIFACTS', ROOT/'_artifacts')); art.mkdir(parents=True, exist_ok=True)
    from selenium.webdriver.support.ui import WebDriverWait
    found = {}
    for p in sorted(site.glob('*.html')):
        browser.get(base_url + p.name)
        WebDriverWait(browser, 60).until(lambda b: b.execute_script('return document.readyState') == 'complete')
        found[p.name] = browser.execute_script(PAGE_JS)
        found[p.name]['console'] = [e['message'] for e in browser.get_log('browser') if e['level'] == 'SEVERE']
        if p.name in ('index.html', 'pretrain.run.html'): browser.save_screenshot(str(art/f'docs-{p.stem}.png'))
    return found


def test_every_sidebar_page_built(pages):
    assert [page_name(nb) for nb in quarto_pages() if page_name(nb) not in pages] == []


def test_no_console_errors(pages):
    assert {p: d['console'] for p, d in pages.items() if d['console']} == {}


def test_internal_links_resolve(pages, site, base_url):
    broken = []
    for page, d in pages.items():
        for href in d['links']:
            if re.match(r'(https?|mailto):', href): continue
            url = urlsplit(urljoin(base_url + page, href))
            target = unquote(url.path).lstrip('/') or 'index.html'
            if not (site/target).is_file(): broken.append(f'{page}: {href} (no {target})')
            elif url.fragment and target in pages and unquote(url.fragment) not in pages[target]['ids']:
                # the DOM of a long page read under heavy load has once come back short: check the file itself too
                if f'id="{unquote(url.fragment)}"' not in (site/target).read_text(encoding='utf-8'):
                    broken.append(f'{page}: {href} (no #{unquote(url.fragment)} in {target})')
    assert not broken, 'broken links:\n' + '\n'.join(broken)


def test_images_decode(pages):
    assert {p: [src for src, w in d['images'] if not w] for p, d in pages.items() if any(not w for _, w in d['images'])} == {}


def test_nothing_remote(pages):
    assert {p: d['remote'] for p, d in pages.items() if d['remote']} == {}


def test_math_is_mathml(pages):
    raw = {p: _raw_math.findall(d['text'])[:3] for p, d in pages.items() if _raw_math.search(d['text'])}
    assert raw == {}, 'raw TeX left in the text of these pages'
    want = [page_name(nb) for nb in quarto_pages() if has_math(nb)]
    assert want, 'no notebook has formulas: this check checks nothing'
    assert [p for p in want if not pages[p]['math']] == []


def test_sidebar_follows_quarto(pages):
    order = [page_name(nb) for nb in quarto_pages()]
    for page, d in pages.items():
        assert d['sidebar'] == order, page
        if page in order: assert d['active'] == [page], page


def test_screenshots_saved(pages):
    art = Path(os.environ.get('AWCL_ARTIFACTS', ROOT/'_artifacts'))
    for name in ('docs-index.png', 'docs-pretrain.run.png'): assert (art/name).stat().st_size > 10_000, name
