# Makes `import kitaru_client` work when pytest is started from any directory
# (pyproject.toml's `pythonpath` covers runs from clients/python).
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
