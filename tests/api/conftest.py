from tests.api.world import world_client

__all__ = ["world_client"]
