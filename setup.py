"""Packaging for cdr-pipelines: ``make package`` builds an egg (for ``spark-submit --py-files``)
and a wheel (to install on the nodes or into a shipped environment) from this one file."""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def read_version() -> str:
    """The version lives in one place: ``jobs/__init__.py``."""
    text = (HERE / "jobs" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"$', text, re.M).group(1)


def read_pins(name: str) -> list:
    """Exact pins from a requirements file, comments and includes left out."""
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith(("#", "-r"))]


setup(
    name="cdr-pipelines",
    version=read_version(),
    description="PySpark transformations and spark-submit jobs for call detail records",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["jobs", "jobs.*", "transformations", "transformations.*"]),
    install_requires=read_pins("requirements.txt"),
    zip_safe=True,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Information Analysis",
    ],
)
