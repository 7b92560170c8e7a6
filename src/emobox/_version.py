"""The one place the version is written (read by pyproject.toml and `emobox --version`)."""

__version__ = "0.2.0"
