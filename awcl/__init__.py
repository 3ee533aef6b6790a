# The one hand-written file in awcl/: every other module is exported from nbs/ by nbdev-export.
# The version's single home is settings.ini (read by setup.py); the installed metadata carries it here.
from importlib.metadata import version as _version, PackageNotFoundError
try: __version__ = _version('awcl')
except PackageNotFoundError: __version__ = '0+unknown'
