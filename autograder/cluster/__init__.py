"""Grading on a Dask distributed cluster (`autograder grade ... --cluster ADDRESS`).

The engine never imports this package: `batch.grade_class` takes `ClusterExecutor.grade`
as its executor, and the course server can take the `ClusterExecutor` itself. `shipment`
carries the course to the workers, `worker` is what runs there, `executor` is the client.
Needs the `cluster` extra (dask, distributed).
"""

from .executor import ClusterExecutor

__all__ = ["ClusterExecutor"]
