"""Connecting to Ray: the cluster ``RAY_ADDRESS`` names, else a local instance sized to the job.

Both Ray executors (feature extraction shards, protocol cells) start Ray through `start_ray`,
so pointing emobox at a cluster is one environment variable: ``RAY_ADDRESS=ray://head:10001``
(or ``auto`` on a cluster node). On a cluster the resources are the cluster's; locally Ray gets
`num_cpus` CPUs.
"""

from __future__ import annotations

import os

from emobox.errors import EmoboxError


def start_ray(num_cpus: int | None) -> bool:
    """Connect to Ray unless already connected; True when this call connected (the caller
    then shuts it down)."""
    try:
        import ray
    except ImportError:
        raise EmoboxError("the Ray executor needs ray (pip install 'emobox[ray]')") from None
    if ray.is_initialized():
        return False
    quiet = {"log_to_driver": False, "configure_logging": False}
    if os.environ.get("RAY_ADDRESS"):
        ray.init(address=os.environ["RAY_ADDRESS"], **quiet)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, **quiet)
    return True
