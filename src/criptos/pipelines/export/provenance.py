"""Where a model bundle comes from: package, git commit, library versions."""

from __future__ import annotations

import logging
import os
import platform
import subprocess
from pathlib import Path

import joblib
import numpy
import pandas
import sklearn

import criptos

logger = logging.getLogger(__name__)

# CI systems and container builds often have no .git; they can say the commit here.
GIT_COMMIT_VARIABLES = ("CRIPTOS_GIT_COMMIT", "GIT_COMMIT", "GITHUB_SHA")


def git_commit(project_root: Path | None = None) -> str | None:
    """The commit the code was run from, or ``None`` when it cannot be known."""
    for variable in GIT_COMMIT_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable].strip()
    root = project_root or Path(criptos.__file__).resolve().parents[2]
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    if result.returncode != 0 or len(commit) != 40:
        logger.info("git commit unknown (not a git checkout); manifest says null")
        return None
    return commit


def library_versions() -> dict[str, str]:
    """Versions of the interpreter and of the libraries the models depend on."""
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "joblib": joblib.__version__,
    }


def package_version() -> str:
    """The criptos version."""
    return criptos.__version__
