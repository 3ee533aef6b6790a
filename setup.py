"Package metadata comes from settings.ini, its single home (nbdev's own settings are in pyproject.toml)."
from configparser import ConfigParser
from pathlib import Path
import setuptools
from setuptools.command.build_py import build_py

cfg = ConfigParser(delimiters=['='])
cfg.read(Path(__file__).parent/'settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']
for k in 'lib_name version description author author_email license min_python'.split():
    assert cfg.get(k), f'settings.ini is missing `{k}`'

licenses = {'apache2': ('Apache-2.0', 'License :: OSI Approved :: Apache Software License')}
lic = licenses[cfg['license']]
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()
min_py = cfg['min_python']

requirements = cfg.get('requirements', '').split()
dev_requirements = cfg.get('dev_requirements', '').split()
console_scripts = [s.strip() for s in cfg.get('console_scripts', '').splitlines() if s.strip()]

# The study notebook is the source of `awcl-study`; it lives in nbs/ (MANIFEST.in puts it in the sdist) and is copied
# into the built package as awcl/study.ipynb, where `awcl.study.run.study_notebook()` finds it with importlib.resources.
# No tracked copy: a source checkout (editable install) reads nbs/33_study.ipynb itself.
STUDY_NB, STUDY_PKG_NAME = 'nbs/33_study.ipynb', 'study.ipynb'

class BuildPy(build_py):
    "setuptools' build_py, plus the study notebook copied into the built package."
    def _study_dest(self): return str(Path(self.build_lib)/cfg['lib_path']/STUDY_PKG_NAME)
    def run(self):
        super().run()
        if not Path(STUDY_NB).is_file(): raise SystemExit(f'{STUDY_NB} is missing: build awcl from a source checkout or its sdist')
        if getattr(self, 'editable_mode', False): return   # `pip install -e`: the checkout's nbs/33_study.ipynb is read in place
        self.mkpath(str(Path(self._study_dest()).parent))
        self.copy_file(STUDY_NB, self._study_dest(), preserve_mode=False)
    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [self._study_dest()]
    def get_output_mapping(self):   # used by editable installs in strict mode
        return {**super().get_output_mapping(), self._study_dest(): STUDY_NB}

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    long_description=(Path(__file__).parent/'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    keywords=cfg.get('keywords', '').split(),
    author=cfg['author'], author_email=cfg['author_email'],
    license=lic[0],
    classifiers=[f"Development Status :: {statuses[int(cfg['status'])]}",
                 f"Intended Audience :: {cfg['audience']}", lic[1],
                 'Natural Language :: English', 'Topic :: Scientific/Engineering :: Medical Science Apps.'] +
                [f'Programming Language :: Python :: {v}' for v in py_versions[py_versions.index(min_py):]],
    packages=setuptools.find_packages(include=[cfg['lib_path'], cfg['lib_path'] + '.*']),
    include_package_data=True,
    cmdclass={'build_py': BuildPy},   # awcl/study.ipynb: the study notebook travels inside the package
    install_requires=requirements,
    extras_require={'dev': dev_requirements},
    python_requires=f'>={min_py}',
    entry_points={'console_scripts': console_scripts, 'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    zip_safe=False,
)
