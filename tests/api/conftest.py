from tests.api.world import any_db_client, world_client

__all__ = ["any_db_client", "world_client"]
