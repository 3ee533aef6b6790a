"Tests of the installed `awcl-data` command: real samples, and bad input ending in one line without a traceback."
import csv, json, warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from awcl.data.table import read_frames, summarise, shared_data
from conftest import run_cli, assert_one_line_error as _one_line_error


def run(*args, cwd=None):
    return run_cli('awcl-data', *args, timeout=120, cwd=cwd)


def sample(name):
    "A real-data sample: skipped when absent, an error in CI (see `awcl.data.table.shared_data`)."
    p = shared_data(name)
    if p is None: pytest.skip(f'real-data sample {name} not found')
    return p


def assert_one_line_error(r, *names):
    "One-line `awcl-data: error:` naming each of `names`, nothing on stdout."
    _one_line_error(r, 'awcl-data', *names)
    assert r.stdout == ''


def png(path, size=(16, 12)):
    path = Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.arange(size[0]*size[1]).reshape(size[1], size[0]) % 256).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def phantom(tmp_path):
    "A small generic-csv dataset with relative paths, in its own folder."
    root = tmp_path/'ds'
    for i in range(6): png(root/'images'/f'f{i}.png')
    rows = [f'images/f{i}.png,{i//2:03d},{"head_tt" if i % 2 else "bg"},{"head" if i % 2 else "bg"},{"train" if i < 4 else "test"}'
            for i in range(6)]
    (root/'frames.csv').write_text('path,scan,fine,coarse,split\n' + '\n'.join(rows) + '\n')
    return root


def test_help():
    r = run('--help')
    assert r.returncode == 0 and '--missing' in r.stdout and '--json' in r.stdout
    assert '--on-bad-image' in r.stdout and '--allow-outside-root' in r.stdout


def test_fpdb_json_matches_read_frames():
    root = sample('fetal_planes_db')
    r = run(root, '--missing', 'drop', '--json')
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        df = read_frames(root, missing='drop')
    assert got == summarise(df)
    assert set(got) == {'n_frames', 'n_scans', 'fine', 'coarse', 'split'}
    assert got['n_frames'] == len(df) == sum(got['fine'].values()) == sum(got['split'].values())
    assert r.stderr.startswith('awcl-data: warning:') and f'dropped {df.attrs["dropped"]}' in r.stderr


def test_african_planes_json_counts_scans_by_centre_and_patient():
    root = sample('african_planes')
    r = run(root, '--json')
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    with open(root/'african_train'/'African_train.csv', newline='') as a, open(root/'african_test'/'African_test.csv', newline='') as b:
        raw = list(csv.DictReader(a)) + list(csv.DictReader(b))
    assert (got['n_frames'], len(got['coarse'])) == (len(raw), 4) == (450, 4)
    assert got['n_scans'] == len({(r['Center'], r['Patient_num']) for r in raw}) == 127    # patient numbers restart per centre
    assert got['centre'] == dict(sorted(Counter(r['Center'] for r in raw).items()))
    assert got['split'] == {'test': sum(r['Train'] == '0' for r in raw), 'train': sum(r['Train'] == '1' for r in raw)}


def test_several_sources_read_as_one_table():
    a, f = sample('african_planes'), sample('fetal_planes_db')
    r = run(f'{f},{a}', '--missing', 'drop', '--json')
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    one = [json.loads(run(s, '--missing', 'drop', '--json').stdout) for s in (f, a)]
    assert got['n_frames'] == sum(o['n_frames'] for o in one) and got['n_scans'] == sum(o['n_scans'] for o in one)
    assert got['source'] == {'african_planes': one[1]['n_frames'], 'fetal_planes_db': one[0]['n_frames']}


def test_fpdb_missing_images_is_an_error():
    root = sample('fetal_planes_db')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        n = read_frames(root, missing='drop').attrs['dropped']
    assert_one_line_error(run(root), 'FETAL_PLANES_DB_data.csv', f'{n} of the')


def test_hc18_text_and_json():
    root = sample('hc18')
    df = read_frames(root)
    r = run(root, '--json')
    assert r.returncode == 0 and r.stderr == '', r.stderr
    assert json.loads(r.stdout) == summarise(df)
    r = run(root)
    assert r.returncode == 0, r.stderr
    assert f'frames: {len(df)}' in r.stdout and f'scans:  {df.scan.nunique()}' in r.stdout and 'head' in r.stdout
    assert 'format hc18' in r.stdout


def test_csv_as_file_or_folder_and_relative_paths(phantom, tmp_path):
    expected = {'n_frames': 6, 'n_scans': 3, 'fine': {'bg': 3, 'head_tt': 3}, 'coarse': {'bg': 3, 'head': 3},
                'split': {'test': 2, 'train': 4}}
    for root in (phantom, phantom/'frames.csv'):
        r = run(root, '--json')
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == expected
    r = run('ds/frames.csv', '--json', cwd=tmp_path)       # a relative csv path, from another folder
    assert r.returncode == 0 and json.loads(r.stdout) == expected, r.stderr


def test_class_folders(tmp_path):
    for rel in ['4CH/s1_0.png', '4CH/s2_0.png', 'ACP/s1_1.png']: png(tmp_path/rel)
    r = run(tmp_path, '--json')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {'n_frames': 3, 'n_scans': 2, 'fine': {'4CH': 2, 'ACP': 1},
                                    'coarse': {'4CH': 2, 'ACP': 1}, 'split': {'none': 3}}


def test_missing_folder(tmp_path):
    assert_one_line_error(run(tmp_path/'nowhere'), tmp_path/'nowhere', 'no such file or folder')


def test_unknown_format(phantom):
    assert_one_line_error(run(phantom, '--format', 'dicom'), 'format', 'dicom')


def test_unknown_missing_mode(phantom):
    assert_one_line_error(run(phantom, '--missing', 'skip'), 'missing', 'skip')


def test_not_a_dataset(tmp_path):
    assert_one_line_error(run(tmp_path), tmp_path, 'cannot tell its format')


def test_malformed_csv(phantom):
    f = phantom/'frames.csv'
    f.write_text('path,scan,fine\nimages/f0.png,1,a\nimages/f1.png,1,a,extra,cells\n')
    assert_one_line_error(run(f), f, 'not a readable csv table')


def test_missing_column(phantom):
    f = phantom/'frames.csv'
    f.write_text('path,fine\nimages/f0.png,a\n')
    assert_one_line_error(run(phantom), f, '`scan`')


def test_empty_scan_cell_names_the_row(phantom):
    f = phantom/'frames.csv'
    f.write_text('path,scan,fine\nimages/f0.png,1,a\nimages/f1.png,,a\n')
    assert_one_line_error(run(f), f, 'data row 2', '`scan`')


def test_bad_split_value(phantom):
    f = phantom/'frames.csv'
    f.write_text('path,scan,fine,split\nimages/f0.png,1,a,validation\n')
    assert_one_line_error(run(f), f, 'data row 1', '`split`', 'validation')


def test_unreadable_image(phantom):
    bad = phantom/'images'/'f3.png'
    bad.write_bytes(b'this is not a png')
    assert_one_line_error(run(phantom), bad, 'cannot read image')
    assert run(phantom, '--no-check').returncode == 0    # the check can be skipped
    r = run(phantom, '--on-bad-image', 'skip', '--json')  # or the file left out, with a warning
    assert r.returncode == 0 and json.loads(r.stdout)['n_frames'] == 5, r.stderr
    assert r.stderr.startswith(f'awcl-data: warning: skipped 1 unreadable file (first: {bad}: ')
    assert_one_line_error(run(phantom, '--on-bad-image', 'drop'), '--on-bad-image', 'drop')


def test_csv_outside_its_folder(phantom):
    f = phantom/'frames.csv'
    f.write_text('path,scan,fine\n../ds/images/f0.png,1,a\n')   # leaves the folder and comes back: inside
    assert run(f, '--json').returncode == 0
    f.write_text('path,scan,fine\n../elsewhere.png,1,a\n')
    png(phantom.parent/'elsewhere.png')
    assert_one_line_error(run(f), f, 'data row 1', 'lies outside the dataset folder', '--allow-outside-root')
    r = run(f, '--allow-outside-root', '--json')
    assert r.returncode == 0 and json.loads(r.stdout)['n_frames'] == 1, r.stderr
