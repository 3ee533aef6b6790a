"""Hostile and malformed inputs, as one table: each case writes a messy dataset into `tmp_path` and expects either a
one-line `AwclError` naming the culprit, or a defined handling, checked on the frame table and the frame cache
(`read_frames`, then `frame_cache` under `tmp_path`, so no user cache is touched). Then a few cases through the
`awcl-data` command, and the frame cache's skip mode. The table is the one in nbs/00_data.ipynb, "Messy data"."""
import json, struct, warnings, zlib
from pathlib import Path

import av
import numpy as np, pytest
from PIL import Image

from awcl.core import AwclError
from awcl.data.table import read_frames, check_images
from awcl.data.readers import load_gray
from awcl.data.cache import frame_cache
from awcl.data.cache import letterbox
from awcl.data.video import write_video, write_dicom
from conftest import run_cli, assert_one_line_error

S = 32   # image side, and the cache's: a square image is cached as it is (letterbox at scale 1), so pixels can be compared


# ---- builders: each writes a dataset into `tmp` and returns its root, or (root, read_frames kwargs, frame_cache kwargs)

def noise(seed=0, size=S):
    "Random grey pixels: they compress badly, so a file cut in half is cut inside its pixel data."
    return np.random.default_rng(seed).integers(0, 256, (size, size), dtype=np.uint8)

def save(path, img, **kw):
    path = Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    (img if isinstance(img, Image.Image) else Image.fromarray(img)).save(path, **kw)
    return path

def halve(path):
    b = Path(path).read_bytes(); Path(path).write_bytes(b[:len(b) // 2])

def folders(tmp, classes='AB', n=2):
    "Class folders of good noise PNGs: `ds/<class>/s<i>_<class>.png`."
    root = tmp/'ds'
    for k, c in enumerate(classes):
        for i in range(n): save(root/c/f's{i}_{c}.png', noise(10 * k + i))
    return root

def with_image(name, write):
    "Class folders plus `ds/A/<name>` written by `write(path)`."
    def build(tmp):
        root = folders(tmp); write(root/'A'/name); return root
    return build

def cut_png(p): save(p, noise()); halve(p)
def cut_jpeg(p): save(p, noise(), quality=90); halve(p)
def empty(p): Path(p).write_bytes(b'')
def text(p): Path(p).write_text('this is not an image\n')

def claim_size(p, w, h):
    "A PNG whose header claims `w` x `h` pixels (over one pixel's data): its size is refused before decoding."
    save(p, np.zeros((1, 1), np.uint8))
    b = bytearray(Path(p).read_bytes()); b[16:24] = struct.pack('>II', w, h)
    b[29:33] = struct.pack('>I', zlib.crc32(bytes(b[12:29]))); Path(p).write_bytes(bytes(b))

I16 = np.resize(np.array([0, 128, 129, 257, 32896, 65535], np.uint16), (S, S))        # -> 0 0 1 1 128 255 (value / 257)
ALPHA = np.resize(np.array([0, 128, 255], np.uint8), (S, S))                           # white at 3 opacities -> 0 128 255
INDEX = np.resize(np.array([0, 1, 2, 3], np.uint8), (S, S))                            # red, green, blue, white -> luma
CHECKER = (np.indices((S, S)).sum(0) % 2).astype(bool)

def rgba(p):
    a = np.zeros((S, S, 4), np.uint8); a[..., :3] = 255; a[..., 3] = ALPHA; save(p, Image.fromarray(a, 'RGBA'))
def la(p):
    a = np.zeros((S, S, 2), np.uint8); a[..., 0] = 255; a[..., 1] = ALPHA; save(p, Image.fromarray(a, 'LA'))
def palette(p):
    im = Image.fromarray(INDEX, 'P'); im.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]); save(p, im)
def huge(p):
    a = np.zeros((10_000, 10_000), np.uint8); a[2_500:7_500, 2_500:7_500] = 255   # mostly zeros: compresses fast
    save(p, a, compress_level=1)

def csv_ds(text, images=('images/a.png', 'images/b.png'), name='frames.csv'):
    "A csv dataset `ds/` with good PNGs at `images` and the table `text` (str or bytes)."
    def build(tmp):
        root = tmp/'ds'
        for i, rel in enumerate(images): save(root/rel, noise(i))
        (root/name).write_bytes(text if isinstance(text, bytes) else text.encode())
        return root
    return build

def outside(text, **read):
    "A csv dataset whose table points at `outside.png` next to its folder."
    def build(tmp):
        save(tmp/'outside.png', noise(7)); root = csv_ds(text.replace('<tmp>', str(tmp)))(tmp)
        return root, read, {}
    return build

CLIP = np.stack([noise(i, 24) for i in range(20)])

def media(*files, labels=None, **read):
    "A folder `vid/` of a good Matroska video plus `files`: (name, write(path))."
    def build(tmp):
        root = tmp/'vid'; root.mkdir(); write_video(root/'good.mkv', CLIP)
        for name, write in files: write(root/name)
        if labels is not None: (root/'labels.csv').write_text(labels)
        return root, read, {}
    return build

def mp4(p):
    if 'libx264' not in av.codecs_available: pytest.skip('this PyAV build cannot write MP4 (no libx264)')
    write_video(p, CLIP)
def cut_mp4(p): mp4(p); halve(p)
def dicom(p): write_dicom(p, CLIP)
def cut_dicom(p):
    write_dicom(p, CLIP); b = p.read_bytes(); p.write_bytes(b[:len(b) * 3 // 4])   # header intact, pixels cut short
def cut_mkv(p): write_video(p, CLIP); halve(p)

def bool_mask(p): return load_gray(p) > 127

def mask_mismatch(tmp):
    root = csv_ds('path,scan,fine,mask\nimages/a.png,1,x,masks/a.png\n', images=('images/a.png',))(tmp)
    save(root/'masks'/'a.png', noise(1, 16))
    return root, {}, dict(masks=bool_mask)

def empty_folder(tmp): (tmp/'nothing').mkdir(); return tmp/'nothing'

def no_images(tmp):
    (tmp/'ds'/'A').mkdir(parents=True); (tmp/'ds'/'B').mkdir(); (tmp/'ds'/'B'/'notes.txt').write_text('x')
    return tmp/'ds', dict(format='folders'), {}

def no_media(tmp):
    (tmp/'vid').mkdir(); (tmp/'vid'/'notes.txt').write_text('x')
    return tmp/'vid', dict(format='video'), {}


# ---- checks of the cases handled without error: (frame table, frame cache, warnings caught)

def row_of(df, name): return int(np.flatnonzero(df.path.str.endswith(name))[0])

def pixels(name, want):
    "The cached frame (and `load_gray`) of the file `name` equal `want` exactly."
    def check(df, c, w):
        i = row_of(df, name)
        np.testing.assert_array_equal(load_gray(df.path[i]), want)
        np.testing.assert_array_equal(c.frames[i, 0], want)
    return check

def check_huge(df, c, w):
    i = row_of(df, 'huge.png')
    f = np.asarray(c.frames[i, 0])
    np.testing.assert_array_equal(f, letterbox(load_gray(df.path[i]), S)[0])
    assert f[16, 16] == 255 and f[0, 0] == 0 and f[31, 31] == 0 and f[16, 2] == 0, f
    assert not [x for x in w if 'DecompressionBomb' in type(x.message).__name__ or 'decompression' in str(x.message).lower()]

def unlabelled(n_warnings):
    def check(df, c, w):
        assert df.fine.isna().tolist() == [True, True, False] and df.coarse.isna().tolist() == [True, True, False], df
        assert df.fine[2] == 'x' and len(c) == 3
        msgs = [str(x.message) for x in w if 'missing-value word' in str(x.message)]
        assert len(msgs) == n_warnings, msgs
        if n_warnings: assert 'frames.csv: 4 label cell(s)' in msgs[0], msgs
    return check

def bom(df, c, w): assert df.scan.tolist() == ['1', '2'] and df.fine.tolist() == ['x', 'y']

def allowed(df, c, w):
    assert Path(df.path[0]).name == 'outside.png' and Path(df.path[0]).parent.name != 'ds'
    np.testing.assert_array_equal(c.frames[0, 0], noise(7))

def single_class(df, c, w):
    assert (df.fine == 'C').sum() == 1 and len(df) == 5 and len(c) == 5
    np.testing.assert_array_equal(c.frames[row_of(df, 's0_C.png'), 0], noise(20))

def shorter_video(df, c, w):
    assert 0 < (df.scan == 'cut').sum() < 3 and (df.scan == 'good').sum() == 3 and len(c.bad) == 0   # 20 frames, every 8th


E = 'error'
CASES = [
    # images
    ('truncated_png', with_image('s9_cut.png', cut_png), (E, ['cannot read image', 's9_cut.png', 'truncated'])),
    ('truncated_jpeg', with_image('s9_cut.jpg', cut_jpeg), (E, ['cannot read image', 's9_cut.jpg', 'image file is truncated'])),
    ('zero_byte_image', with_image('s9_empty.png', empty), (E, ['cannot read image', 's9_empty.png', ': empty file (0 bytes)'])),
    ('not_an_image', with_image('s9_notes.png', text), (E, ['cannot read image', 's9_notes.png', 'cannot identify image file'])),
    ('16_bit', with_image('s9_i16.png', lambda p: save(p, I16)), ('ok', pixels('s9_i16.png', np.resize([0, 0, 1, 1, 128, 255], (S, S))))),
    ('rgba', with_image('s9_rgba.png', rgba), ('ok', pixels('s9_rgba.png', ALPHA))),
    ('la', with_image('s9_la.png', la), ('ok', pixels('s9_la.png', ALPHA))),
    ('palette', with_image('s9_p.png', palette), ('ok', pixels('s9_p.png', np.array([76, 150, 29, 255], np.uint8)[INDEX]))),
    ('1_bit', with_image('s9_1.png', lambda p: save(p, CHECKER)), ('ok', pixels('s9_1.png', CHECKER.astype(np.uint8) * 255))),
    ('huge_10000x10000', with_image('s9_huge.png', huge), ('ok', check_huge)),
    ('too_many_pixels', with_image('s9_big.png', lambda p: claim_size(p, 20_001, 20_001)),
     (E, ['cannot read image', 's9_big.png', "20001 x 20001 pixels exceeds awcl's limit of 400,000,000"])),
    # csv tables
    ('missing_column', csv_ds('path,fine\nimages/a.png,x\n'), (E, ['frames.csv', 'missing column `scan`'])),
    ('semicolon_separated', csv_ds('path;scan;fine\nimages/a.png;1;x\n'),
     (E, ['frames.csv', 'one column `path;scan;fine`: awcl reads comma-separated tables; this one looks `;`-separated'])),
    ('decimal_comma_locale', csv_ds('path;scan;fine;pixel_mm\nimages/a.png;1;x;0,12\n'), (E, ['frames.csv', 'looks `;`-separated'])),
    ('tab_separated', csv_ds('path\tscan\tfine\nimages/a.png\t1\tx\n'), (E, ['frames.csv', 'one column `path\\tscan\\tfine`', 'tab-separated'])),
    ('duplicated_path', csv_ds('path,scan,fine\nimages/a.png,1,x\nimages/b.png,2,x\n./images/a.png,3,y\n'),
     (E, ['frames.csv: data row 3 (file line 4): image', 'a.png is already listed in data row 1'])),
    ('empty_class_cells', csv_ds('path,scan,fine,coarse\nimages/a.png,1,,\nimages/b.png,2,  ,\t\nimages/c.png,3,x,X\n',
                                 images=('images/a.png', 'images/b.png', 'images/c.png')), ('ok', unlabelled(0))),
    ('nan_word_labels', csv_ds('path,scan,fine,coarse\nimages/a.png,1,NaN,none\nimages/b.png,2,N/A,NULL\nimages/c.png,3,x,X\n',
                               images=('images/a.png', 'images/b.png', 'images/c.png')), ('ok', unlabelled(1))),
    ('non_utf8', csv_ds('path,scan,fine\nimages/a.png,1,x\nimages/b.png,2,caf\xe9\n'.encode('latin-1')),
     (E, ['frames.csv', 'not UTF-8 text (byte 0xe9 at line 3); save it as UTF-8'])),
    ('utf8_bom_crlf', csv_ds(b'\xef\xbb\xbfpath,scan,fine\r\nimages/a.png,1,x\r\nimages/b.png,2,y\r\n'), ('ok', bom)),
    ('path_outside_root', outside('path,scan,fine\n../outside.png,1,x\n'),
     (E, ['frames.csv: data row 1 (file line 2): path `../outside.png` lies outside the dataset folder',
          'pass allow_outside_root=True (--allow-outside-root) to allow it'])),
    ('absolute_path', outside('path,scan,fine\n<tmp>/outside.png,1,x\n'), (E, ['frames.csv: data row 1', 'outside.png` is absolute'])),
    ('mask_outside_root', outside('path,scan,fine,mask\nimages/a.png,1,x,../outside.png\n'),
     (E, ['frames.csv: data row 1', 'mask `../outside.png` lies outside'])),
    ('path_outside_root_allowed', outside('path,scan,fine\n../outside.png,1,x\n', allow_outside_root=True), ('ok', allowed)),
    ('labels_duplicate_frame', media(labels='video,frame,fine\ngood,0,A\ngood.mkv,0,A\n'),
     (E, ['labels.csv: data row 2', "frame 0 of 'good.mkv' is already labelled in data row 1"])),
    ('labels_nan_word', media(labels='video,frame,fine\ngood,0,nan\n'), (E, ['labels.csv: data row 1', "column `fine` is 'nan', a missing-value word"])),
    # videos and DICOM
    ('zero_byte_mp4', media(('z.mp4', empty)), (E, ['cannot read video', 'z.mp4: empty file (0 bytes)'])),
    ('truncated_mp4', media(('cut.mp4', cut_mp4)), (E, ['cannot read video', 'cut.mp4'])),
    ('zero_byte_dicom', media(('z.dcm', empty)), (E, ['cannot read dicom', 'z.dcm: empty file (0 bytes)'])),
    ('truncated_dicom', media(('cut.dcm', cut_dicom)), (E, ['cannot read dicom', 'cut.dcm: truncated'])),
    ('not_a_dicom', media(('x.dcm', text)), (E, ['cannot read dicom', 'x.dcm: not a DICOM file'])),
    ('truncated_mkv', media(('cut.mkv', cut_mkv)), ('ok', shorter_video)),
    # structure
    ('single_image_class', lambda tmp: (folders(tmp), save(tmp/'ds'/'C'/'s0_C.png', noise(20)))[0], ('ok', single_class)),
    ('scan_in_train_and_test', csv_ds('path,scan,fine,split\nimages/a.png,1,x,train\nimages/b.png,1,x,test\n'),
     (E, ['frames.csv', "scan '1' is in several splits: test, train"])),
    ('mask_size_mismatch', mask_mismatch, (E, ['a.png: mask is 16 x 16, its image', 'a.png is 32 x 32'])),
    ('empty_folder', empty_folder, (E, ['nothing: cannot tell its format'])),
    ('header_only_csv', csv_ds('path,scan,fine\n'), (E, ['frames.csv: a header but no data rows, so no frames'])),
    ('class_folders_without_images', no_images, (E, ['ds: no class folders holding images'])),
    ('video_folder_without_media', no_media, (E, ['vid: no video or DICOM frames found'])),
]


def run_case(tmp, build):
    "Read the dataset `build` writes and cache its frames; return the table, the cache and the warnings caught."
    spec = build(tmp)
    root, read, cache = (spec, {}, {}) if isinstance(spec, Path) else spec
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        df = read_frames(root, **read)
        c = frame_cache(df, S, root=tmp/'cache', workers=1, **cache)
    return df, c, w


@pytest.mark.parametrize('build,expect', [pytest.param(b, e, id=i) for i, b, e in CASES])
def test_hostile_input(tmp_path, build, expect):
    kind, what = expect
    if kind == 'ok': return what(*run_case(tmp_path, build))
    with pytest.raises(AwclError) as e: run_case(tmp_path, build)
    msg = str(e.value)
    assert '\n' not in msg and msg == msg.strip(), msg
    for s in what: assert s in msg, (s, msg)
    assert not list(tmp_path.glob('cache/*/meta.json'))      # no finished cache left behind


def test_the_table_is_complete():
    "Every case the issue names is in the table (a case dropped by mistake fails here)."
    ids = {i for i, _, _ in CASES}
    assert len(ids) == len(CASES)
    assert {'truncated_png', 'truncated_jpeg', 'zero_byte_image', 'not_an_image', '16_bit', 'rgba', 'palette', 'huge_10000x10000',
            'missing_column', 'semicolon_separated', 'duplicated_path', 'empty_class_cells', 'nan_word_labels', 'non_utf8',
            'path_outside_root', 'path_outside_root_allowed', 'zero_byte_mp4', 'truncated_mp4', 'zero_byte_dicom',
            'truncated_dicom', 'single_image_class', 'scan_in_train_and_test', 'mask_size_mismatch', 'empty_folder',
            'header_only_csv'} <= ids


# ---- the same through the command: one line on stderr, exit status 2, no traceback

CLI = {'truncated_png': ['cannot read image', 's9_cut.png'], 'zero_byte_image': ['s9_empty.png: empty file (0 bytes)'],
       'semicolon_separated': ['frames.csv: one column `path;scan;fine`', '`;`-separated'],
       'non_utf8': ['frames.csv: not UTF-8 text (byte 0xe9 at line 3)'],
       'path_outside_root': ['frames.csv: data row 1', 'lies outside the dataset folder', '--allow-outside-root'],
       'scan_in_train_and_test': ["scan '1' is in several splits: test, train"],
       'zero_byte_dicom': ['cannot read dicom', 'z.dcm: empty file (0 bytes)'],
       'header_only_csv': ['frames.csv: a header but no data rows']}

@pytest.mark.parametrize('case', sorted(CLI))
def test_awcl_data_one_line_error(tmp_path, case):
    build = {i: b for i, b, _ in CASES}[case]
    spec = build(tmp_path)
    r = run_cli('awcl-data', spec if isinstance(spec, Path) else spec[0], timeout=120)
    assert_one_line_error(r, 'awcl-data', *CLI[case])
    assert r.returncode == 2 and r.stdout == ''


def test_awcl_data_allow_outside_root(tmp_path):
    root = outside('path,scan,fine\n../outside.png,1,x\n')(tmp_path)[0]
    r = run_cli('awcl-data', root, '--allow-outside-root', '--json', timeout=120)
    assert r.returncode == 0 and r.stderr == '', r.stderr
    assert json.loads(r.stdout)['n_frames'] == 1


# ---- skip mode: unreadable files left out of the frame cache, and recorded

@pytest.fixture
def two_bad(tmp_path):
    "Class folders of 8 good images, plus a truncated PNG in A and an empty one in B."
    root = folders(tmp_path, n=4)
    cut_png(root/'A'/'s9_cut.png'); empty(root/'B'/'s9_empty.png')
    return root


def test_skip_mode(two_bad, tmp_path):
    df = read_frames(two_bad)
    bad = [row_of(df, 's9_cut.png'), row_of(df, 's9_empty.png')]
    c = frame_cache(df, S, root=tmp_path/'cache', workers=2, chunk=3, on_bad='skip')
    assert c.bad.columns.tolist() == ['row', 'path', 'frame', 'reason']
    assert c.bad.row.tolist() == bad and c.bad.path.tolist() == [str(two_bad/'A'/'s9_cut.png'), str(two_bad/'B'/'s9_empty.png')]
    assert 'truncated' in c.bad.reason[0] and c.bad.reason[1] == 'empty file (0 bytes)' and c.bad.frame.isna().all()
    for i, p in enumerate(df.path):
        want = np.zeros((S, S), np.uint8) if i in bad else letterbox(load_gray(p), S)[0]
        np.testing.assert_array_equal(c.frames[i, 0], want)
    assert [b['row'] for b in json.loads((c.folder/'meta.json').read_text())['bad']] == bad
    assert frame_cache(df, S, root=tmp_path/'cache', on_bad='skip').folder == c.folder      # same files, same cache
    with pytest.raises(AwclError) as e: frame_cache(df, S, root=tmp_path/'cache', on_bad='error')
    msg = str(e.value)
    assert msg.startswith(f'{two_bad/"A"/"s9_cut.png"}: ') and "pass on_bad='skip' (--on-bad-image skip) to leave them out" in msg, msg
    assert '2 unreadable rows' in msg and '\n' not in msg
    assert check_images(df, on_bad='skip').drop(columns='reason').equals(c.bad.drop(columns='reason'))


def test_error_mode_from_workers(two_bad, tmp_path):
    "Two worker processes: the first unreadable file's one-line error, without the remote traceback; no cache left."
    df = read_frames(two_bad)
    with pytest.raises(AwclError) as e: frame_cache(df, S, root=tmp_path/'cache', workers=2, chunk=3)
    assert str(e.value).startswith('cannot read image ') and 's9_' in str(e.value) and '\n' not in str(e.value)
    assert e.value.__cause__ is None and e.value.__suppress_context__
    assert list((tmp_path/'cache').iterdir()) == []
    with pytest.raises(AwclError, match="on_bad='ignore' is not one of error, skip"): frame_cache(df, S, on_bad='ignore')


def test_skip_mode_video(tmp_path):
    "A DICOM file cut short (its header intact): all its rows are left black and listed with their frames."
    root, _, _ = media(('cut.dcm', cut_dicom))(tmp_path)
    df = read_frames(root, every=4)
    c = frame_cache(df, S, root=tmp_path/'cache', workers=1, on_bad='skip')
    rows = np.flatnonzero(df.scan == 'cut')
    assert c.bad.row.tolist() == rows.tolist() and c.bad.frame.tolist() == [0, 4, 8, 12, 16]
    assert not np.asarray(c.frames[rows]).any() and np.asarray(c.frames[np.flatnonzero(df.scan == 'good')]).any()


def test_awcl_data_skip(two_bad):
    r = run_cli('awcl-data', two_bad, '--on-bad-image', 'skip', '--json', timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f'awcl-data: warning: skipped 2 unreadable files (first: {two_bad/"A"/"s9_cut.png"}: '), r.stderr
    s = json.loads(r.stdout)
    assert s['n_frames'] == 8 and s['fine'] == {'A': 4, 'B': 4}
    assert_one_line_error(run_cli('awcl-data', two_bad, timeout=120), 'awcl-data', 'cannot read image', 's9_cut.png')
