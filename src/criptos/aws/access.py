"""Which bucket prefixes each deployed piece reads, writes and lists, from the catalog.

The IAM policies of the CDK app (``deploy/aws``) are scoped to these prefixes, so
they come from the same configuration the runs use, never from a hand-typed list:

- the stage's pipelines (``criptos.pipeline_registry``) name the datasets each node
  reads and writes (``params:`` entries are not data);
- the catalog of the ``s3`` environment, resolved by the project's own loader
  (dataset factories such as ``{model}_model`` included, through Kedro's
  ``CatalogConfigResolver``), gives every ``s3://`` location of each dataset
  (``filepath``, ``path``, a wrapped ``dataset``, ``members``, ``models``, ...);
  datasets without one (``MemoryDataset``) touch nothing;
- ``globals.yml``'s ``paths`` are the bucket's roots (``raw``, ``reports``,
  ``features``, ...): each location maps to the root it lies under, and a location
  under no root is an error, so a new root cannot be left out of the policies.

A written dataset is read too: its save checks what is there (a versioned save asks
whether its version exists, the registry reads ``latest/`` before moving it) and
S3's HeadObject is authorized by ``s3:GetObject``. Listing is needed wherever a
dataset is touched: s3fs lists to tell a missing key from a folder, versioned loads
list their versions, and without ``s3:ListBucket`` a missing key answers 403
instead of 404. So ``list`` is every prefix read or written.

The catalog is read by a loader of its own, whose process-wide OmegaConf resolvers
(``${globals:...}``) are put back as they were afterwards (``isolated_resolvers``):
a session running in the same process keeps resolving its own paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kedro.io.catalog_config_resolver import CatalogConfigResolver
from kedro.utils import find_kedro_project
from omegaconf.basecontainer import BaseContainer

from criptos.aws.stages import Stage

DEPLOY_ENV = "s3"
PARAMS_PREFIX = "params:"
# What Kedro makes of a dataset the catalog does not name: nothing stored.
MEMORY_DEFAULT = {"{default}": {"type": "kedro.io.MemoryDataset"}}


@dataclass(frozen=True)
class Access:
    """Bucket prefixes (``raw``, ``models``: no slashes around) one piece needs."""

    read: tuple[str, ...]  # s3:GetObject on <bucket>/<prefix>/*
    write: tuple[str, ...]  # s3:PutObject on <bucket>/<prefix>/*
    list: tuple[str, ...]  # s3:ListBucket with s3:prefix <prefix> or <prefix>/*


@dataclass(frozen=True)
class BucketLayout:
    """The s3 environment's catalog and the bucket roots of its ``globals.yml``."""

    bucket: str
    roots: Mapping[str, str]  # globals paths key -> prefix in the bucket
    catalog: Mapping[str, Any]

    def prefix_of(self, url: str) -> str:
        """The root ``url`` lies under (the longest one), else ``ValueError``."""
        parts = urlsplit(url)
        key = parts.path.strip("/")
        if parts.netloc != self.bucket:
            raise ValueError(f"{url} is outside the bucket {self.bucket}")
        matches = [
            prefix
            for prefix in self.roots.values()
            if key == prefix or key.startswith(prefix + "/")
        ]
        if not matches:
            raise ValueError(
                f"{url} lies under none of the bucket roots {sorted(self.roots.values())} "
                "(globals.yml paths): add its root there"
            )
        return max(matches, key=len)

    def dataset_prefixes(self, names: Iterable[str]) -> set[str]:
        """The roots every ``s3://`` location of the datasets ``names`` lies under."""
        resolver = CatalogConfigResolver(
            config=dict(self.catalog), default_runtime_patterns=MEMORY_DEFAULT
        )
        prefixes: set[str] = set()
        for name in names:
            if name.startswith(PARAMS_PREFIX) or name == "parameters":
                continue
            config = resolver.resolve_pattern(name)
            prefixes.update(self.prefix_of(url) for url in s3_urls(config))
        return prefixes


def s3_urls(config: Any) -> list[str]:
    """Every ``s3://`` string anywhere in a dataset's configuration."""
    if isinstance(config, str):
        return [config] if config.startswith("s3://") else []
    if isinstance(config, Mapping):
        return [url for value in config.values() for url in s3_urls(value)]
    if isinstance(config, list | tuple):
        return [url for value in config for url in s3_urls(value)]
    return []


def project_root() -> Path:
    """The Kedro project around the working directory, else this source tree's."""
    found = find_kedro_project(Path.cwd())
    return Path(found) if found else Path(__file__).resolve().parents[3]


@contextmanager
def isolated_resolvers() -> Iterator[None]:
    """OmegaConf's resolvers as they were before the block (Kedro's loader replaces
    ``globals`` for the whole process when it is built; OmegaConf has no public
    snapshot, hence its registry itself)."""
    saved = dict(BaseContainer._resolvers)  # noqa: SLF001
    try:
        yield
    finally:
        BaseContainer._resolvers.clear()  # noqa: SLF001
        BaseContainer._resolvers.update(saved)  # noqa: SLF001


@cache
def bucket_layout(
    env: str = DEPLOY_ENV, project_path: Path | None = None, bucket: str | None = None
) -> BucketLayout:
    """The catalog and bucket roots of ``env``, read by the project's config loader."""
    from criptos import settings  # noqa: PLC0415 (settings imports the hooks)

    root = Path(project_path or project_root())
    with isolated_resolvers():
        loader = settings.CONFIG_LOADER_CLASS(
            conf_source=str(root / settings.CONF_SOURCE),
            env=env,
            runtime_params={"bucket": bucket} if bucket else None,
            **settings.CONFIG_LOADER_ARGS,
        )
        paths = loader["globals"].get("paths") or {}
        catalog = loader["catalog"]
    urls = {
        key: value for key, value in paths.items() if str(value).startswith("s3://")
    }
    if not urls:
        raise ValueError(f"environment {env!r} has no s3:// paths in globals.yml")
    buckets = {urlsplit(url).netloc for url in urls.values()}
    if len(buckets) != 1:
        raise ValueError(f"globals.yml paths of {env!r} span buckets {sorted(buckets)}")
    return BucketLayout(
        bucket=buckets.pop(),
        roots={key: urlsplit(url).path.strip("/") for key, url in urls.items()},
        catalog=catalog,
    )


def _access(touched_read: set[str], touched_write: set[str]) -> Access:
    read = touched_read | touched_write  # HeadObject before a save needs GetObject
    return Access(
        read=tuple(sorted(read)),
        write=tuple(sorted(touched_write)),
        list=tuple(sorted(read)),
    )


def pipelines_access(
    pipeline_names: Iterable[str], layout: BucketLayout | None = None
) -> Access:
    """What running ``pipeline_names`` in one session reads, writes and lists."""
    from criptos.pipeline_registry import LazyPipelines  # noqa: PLC0415

    layout = layout or bucket_layout()
    pipelines = LazyPipelines()
    inputs: set[str] = set()
    outputs: set[str] = set()
    for name in pipeline_names:
        for node in pipelines[name].nodes:
            inputs.update(node.inputs)
            outputs.update(node.outputs)
    return _access(layout.dataset_prefixes(inputs), layout.dataset_prefixes(outputs))


def stage_access(stage: Stage, layout: BucketLayout | None = None) -> Access:
    """What the Lambda function of ``stage`` reads, writes and lists."""
    return pipelines_access(stage.pipelines, layout)


def api_access(layout: BucketLayout | None = None) -> Access:
    """What the API reads: the datasets its settings name by default, nothing written."""
    from criptos.api.settings import Settings  # noqa: PLC0415

    layout = layout or bucket_layout()
    fields = Settings.model_fields
    datasets = {fields["registry_dataset"].default, fields["features_dataset"].default}
    return _access(layout.dataset_prefixes(datasets), set())
