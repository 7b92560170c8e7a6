import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))


import pytest  # noqa: E402
import tiny_models  # noqa: E402


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """family → folder of a saved tiny random model (built once per session)."""
    root = tmp_path_factory.mktemp("tiny")
    cache: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in cache:
            cache[family] = tiny_models.build(family, root / family)
        return cache[family]

    return get
