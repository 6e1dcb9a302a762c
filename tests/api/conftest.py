from tests.api.world import _world_pg, _world_sqlite, world_client, world_client_any, world_module_any

__all__ = ["_world_pg", "_world_sqlite", "world_client", "world_client_any", "world_module_any"]
