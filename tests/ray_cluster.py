"""A real two-node Ray cluster on loopback, for tests and bench scripts.

    with RayCluster() as rc:         # head + one more node, 1 CPU each; this process is the driver
        rc.nodes                     # [head, second] (ray._private.node.Node)
        rc.remove(node); rc.add()    # lose a node; add a fresh one; rc.restore(): two nodes again
        rc.clear()                   # kill every smartlive job actor left (between tests)

Both nodes bind 127.0.0.1 on free ports, with no dashboard and no usage stats. Ray rewrites a
loopback address into the machine's own IP (fine on a real cluster, where nodes bind that IP);
RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 keeps it on loopback (read when ray is first imported). The GCS declares
a lost node dead after about 3 s (health checks every 0.5 s, 3 failures), so node-loss tests are
quick; a real cluster keeps Ray's defaults (a few tens of seconds at most).
"""
from __future__ import annotations

import os
import socket

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # before ray is imported anywhere
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_args() -> dict:
    ports = ("dashboard_agent_listen_port", "metrics_export_port", "metrics_agent_port", "runtime_env_agent_port")
    return {"num_cpus": 1, "node_ip_address": "127.0.0.1", "object_store_memory": 80 * 1024 * 1024,
            **{name: free_port() for name in ports}}


class RayCluster:
    def __init__(self):
        self.cluster = None
        self.nodes: list = []

    def __enter__(self) -> RayCluster:
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        import ray
        from ray.cluster_utils import Cluster

        head = {**_node_args(), "include_dashboard": False, "gcs_server_port": free_port(),
                "dashboard_host": "127.0.0.1",
                "_system_config": {"health_check_period_ms": 500, "health_check_failure_threshold": 3,
                                   "health_check_timeout_ms": 1000, "health_check_initial_delay_ms": 0}}
        self.cluster = Cluster(initialize_head=True, head_node_args=head)
        self.nodes = [self.cluster.head_node]
        self.add()
        ray.init(address=self.cluster.address, namespace="smartlive", log_to_driver=False)
        return self

    def add(self):
        node = self.cluster.add_node(**_node_args())
        self.nodes.append(node)
        self.cluster.wait_for_nodes()
        return node

    def remove(self, node) -> None:
        self.cluster.remove_node(node, allow_graceful=False)
        self.nodes.remove(node)

    def restore(self) -> None:
        """Back to two nodes (after a test removed some)."""
        while len(self.nodes) < 2:
            self.add()

    def clear(self) -> None:
        import ray

        for actor in ray.util.list_named_actors(all_namespaces=True):
            if actor["namespace"] == "smartlive" and actor["name"].startswith("smartlive-job-"):
                try:
                    ray.kill(ray.get_actor(actor["name"], namespace="smartlive"), no_restart=True)
                except ValueError:
                    pass

    def __exit__(self, *exc) -> None:
        import ray

        ray.shutdown()
        self.cluster.shutdown()
