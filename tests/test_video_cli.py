"""Scan videos and DICOM cine loops through the commands: `awcl-data` summarises a folder of them, `awcl-pretrain`
pretrains on it (every K-th frame, labels from labels.csv, the rest unlabelled), decoding each file once into the
frame cache. The media are built here from phantom frames."""
import json
import numpy as np, pytest
from conftest import run_cli, assert_one_line_error, cache_env
from awcl.data.table import read_frames
from awcl.data.readers import load_gray
from awcl.data.video import write_video, write_dicom


@pytest.fixture(scope='module')
def videos(tmp_path_factory, phantom_set):
    "6 scans of 16 frames: 3 lossless videos (.mkv), 3 multi-frame DICOM; frames 0-7 of each labelled by its plane."
    d = tmp_path_factory.mktemp('vid')
    ph = read_frames(phantom_set(6, 16))
    rows = []; (d/'media').mkdir()
    for k, (scan, g) in enumerate(ph.groupby('scan', sort=True)):
        clip = np.stack([load_gray(p) for p in g.path])
        (write_video if k % 2 else write_dicom)(d/'media'/f'{scan}{".mkv" if k % 2 else ".dcm"}', clip)
        rows.append(f'{scan},0,7,{g.fine.dropna().iloc[0] if g.fine.notna().any() else "head-tt"}')
    (d/'media').mkdir(exist_ok=True)
    (d/'media'/'labels.csv').write_text('video,start,end,fine\n' + '\n'.join(rows) + '\n')
    return d/'media'


def test_data_summarises_videos(videos):
    r = run_cli('awcl-data', videos, '--every', 2, '--json')
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert (s['n_frames'], s['n_scans']) == (6 * 8, 6)
    assert s['fine'].get('none') == 6 * 4                      # frames 8-15 are unlabelled


def test_pretrain_on_videos(videos, tmp_path):
    r = run_cli('awcl-pretrain', '--data', videos, '--every', 2, '--preset', 'smoke', '--bs', 8, '--out', tmp_path/'run',
                '--device', 'cpu', env=cache_env(tmp_path/'cache'))
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path/'run'/'config.json').read_text())
    assert cfg['n_frames'] == 48 and cfg['data'] == str(videos)
    caches = list((tmp_path/'cache'/'frames').iterdir())
    assert len(caches) == 1 and (caches[0]/'frames.npy').is_file()             # decoded once into the cache


def test_broken_video_is_named(videos, tmp_path):
    d = tmp_path/'bad'; d.mkdir()
    data = next(videos.glob('*.dcm')).read_bytes()
    (d/'cut.dcm').write_bytes(data[:len(data) // 2])
    r = run_cli('awcl-pretrain', '--data', d, '--every', 1, '--preset', 'smoke', '--bs', 4, '--out', tmp_path/'run')
    assert_one_line_error(r, 'awcl-pretrain', 'cut.dcm')


def test_skip_unreadable_videos(videos, tmp_path):
    "--on-bad-image skip: an empty mp4 (unlistable) and a DICOM cut short (fails to decode) are left out and listed."
    import shutil, pandas as pd
    d = tmp_path/'media'; shutil.copytree(videos, d)
    (d/'empty.mp4').write_bytes(b'')
    cut = sorted(d.glob('*.dcm'))[0]; data = cut.read_bytes(); cut.write_bytes(data[:len(data) // 2])
    args = ['--data', d, '--every', 2, '--preset', 'smoke', '--bs', 8, '--device', 'cpu']
    env = cache_env(tmp_path/'cache')
    assert_one_line_error(run_cli('awcl-pretrain', *args, '--out', tmp_path/'a', env=env), 'awcl-pretrain', 'empty.mp4')
    r = run_cli('awcl-pretrain', *args, '--out', tmp_path/'b', '--on-bad-image', 'skip', env=env)
    assert r.returncode == 0, r.stderr
    sk = pd.read_csv(tmp_path/'b'/'skipped.csv')
    assert set(sk.path) == {str(d/'empty.mp4'), str(cut)}
    assert sk.row[sk.path.eq(str(d/'empty.mp4'))].isna().all() and (sk.path == str(cut)).sum() == 8   # all 8 kept frames of the cut file
    r = run_cli('awcl-data', d, '--every', 2, '--on-bad-image', 'skip', '--json')
    assert r.returncode == 0 and 'empty.mp4' in r.stderr, r.stderr
